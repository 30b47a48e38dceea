/**
 * Tick step 6: which ready tasks get an agent now (core/plans/dispatch.ts `decideDispatch`),
 * then the spawns (spawn.ts). The ready tasks come from the ready set (core/ready-set.ts), kept
 * current from the graph's changes; the decision is taken again only when one of its inputs
 * changed: the ready set or a ready task (see graphChangeMatters), which agents are alive,
 * pause, a settling delay ending. An idle tick re-uses the last one.
 */
import type { LivenessMap } from '../core/liveness.js';
import { decideDispatch, lastChangeMs, type DispatchDecision } from '../core/plans/dispatch.js';
import type { Task } from '../core/task.js';
import type { StepContext } from './context.js';
import { runnableExecutor } from '../agents/executors/index.js';
import { spawnAgent, type SpawnFailures } from './spawn.js';

export interface DispatchMemo {
  decision: DispatchDecision | undefined;
  /** The ready tasks of that decision, as it saw them (to tell whether a change matters). */
  decided: Map<string, Decided>;
  /** Which agents were alive, and pause, as that decision saw them. */
  key: string;
  /** When the earliest settling delay of that decision ends (ms). */
  settleMs: number | undefined;
  decidedAtMs: number;
  /** Its waiting tasks counted by reason (the tick summary; counted once per decision). */
  waiting: Record<string, number>;
  /** It waits on a missing executor (looked for again once per poll interval). */
  missingExecutor: boolean;
}

export const newDispatchMemo = (): DispatchMemo => ({ decision: undefined, decided: new Map(), key: '', settleMs: undefined, decidedAtMs: 0, waiting: {}, missingExecutor: false });

/**
 * What the decision read of a ready task besides its readiness: its claim and its place in the
 * dispatch order (the row), and — when it got that far — how it would run and when it was last
 * shaped (the whole task: exec, exec_mode, settling).
 */
interface Decided {
  whole: boolean;
  shape: string;
}
const rowShape = (t: Task): string => `${t.assigned ?? ''}\0${t.priority}\0${t.dispatch_count ?? 0}`;
const wholeShape = (t: Task): string => `${rowShape(t)}\0${t.exec ?? ''}\0${t.exec_mode ?? ''}\0${lastChangeMs(t)}`;
const ROW_REASONS: ReadonlySet<string> = new Set(['claimed', 'stale-claim', 'paused']);

/**
 * Did the graph change in a way the decision depends on? The ready set changed (a task became
 * ready or stopped being ready: status, dependencies, pause, a time gate…), or a task the
 * decision found ready changed its shape. A `wg log` on any task, an agent's `wg done` whose
 * dependents are still blocked, an edit of a task nobody can run yet: no.
 */
function graphChangeMatters(ctx: StepContext, memo: DispatchMemo): boolean {
  const readyMoved = ctx.graph.takeReadyMoved();
  const c = ctx.graph.index().takeDispatchChanges();
  if (readyMoved || c.all) return true;
  const graph = ctx.graph.graph();
  for (const id of c.ids) {
    const before = memo.decided.get(id);
    if (!before) continue;
    const now = before.whole ? graph.get(id) : graph.peek(id);
    if (!now || (before.whole ? wholeShape(now) : rowShape(now)) !== before.shape) return true;
  }
  return false;
}

export interface DispatchInput {
  now: Date;
  alive: number;
  liveness: LivenessMap;
  paused: boolean;
}

export interface DispatchOutcome {
  decision: DispatchDecision;
  spawned: number;
  decided: boolean;
}

/** When the dispatcher must look again by itself: a time gate opens, a settling delay ends. */
export function dispatchWakeMs(ctx: StepContext, memo: DispatchMemo): number | undefined {
  const gate = ctx.graph.readySet().nextGateMs();
  if (gate === undefined) return memo.settleMs;
  return memo.settleMs === undefined ? gate : Math.min(gate, memo.settleMs);
}

export async function dispatchStep(ctx: StepContext, memo: DispatchMemo, failures: SpawnFailures, input: DispatchInput): Promise<DispatchOutcome> {
  const nowMs = input.now.getTime();
  const aliveIds: string[] = [];
  for (const [id, l] of input.liveness) if (l.alive) aliveIds.push(id);
  const key = `${aliveIds.join(',')}/${input.alive}/${input.paused}`;
  const ready = ctx.graph.readySet(); // current, time gates opened by now included
  const changed = graphChangeMatters(ctx, memo);
  // A missing executor may be installed meanwhile: look again once per poll interval.
  const missingExec = memo.missingExecutor && nowMs - memo.decidedAtMs >= ctx.settings.dispatcher.pollIntervalMs;
  const settled = memo.settleMs !== undefined && nowMs >= memo.settleMs;
  if (memo.decision && !changed && key === memo.key && !settled && !missingExec) return { decision: memo.decision, spawned: 0, decided: false };
  const graph = ctx.graph.graph();
  const found = new Map<string, boolean>();
  const decision = decideDispatch(graph, {
    now: input.now,
    maxAgents: ctx.settings.dispatcher.maxAgents,
    aliveAgents: input.alive,
    paused: input.paused,
    settlingDelayMs: ctx.settings.dispatcher.settlingDelayMs,
    liveness: input.liveness,
    executorFor: (task) => runnableExecutor(task, ctx.settings.executors, { defaultExecutor: ctx.settings.dispatcher.executor, path: ctx.agentPath, found }),
    ready: ready.tasks(graph),
  });
  let settleMs: number | undefined;
  const waiting: Record<string, number> = {};
  const decided = new Map<string, Decided>();
  for (const x of decision.spawn) decided.set(x.task.id, { whole: true, shape: wholeShape(x.task) });
  for (const w of decision.waiting) {
    const whole = !ROW_REASONS.has(w.reason.kind);
    decided.set(w.task.id, { whole, shape: whole ? wholeShape(w.task) : rowShape(w.task) });
    waiting[w.reason.kind] = (waiting[w.reason.kind] ?? 0) + 1;
    if (w.reason.kind === 'settling') settleMs = Math.min(settleMs ?? Infinity, w.reason.untilMs);
  }
  Object.assign(memo, { decision, decided, key, settleMs, decidedAtMs: nowMs, waiting, missingExecutor: !!waiting['executor-missing'] });
  let spawned = 0;
  for (const s of decision.spawn) if (await spawnAgent(ctx, failures, s.task, s.executor, input.now)) spawned++;
  return { decision, spawned, decided: true };
}
