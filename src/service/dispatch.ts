/**
 * Tick step 6: which ready tasks get an agent now (core/plans/dispatch.ts `decideDispatch`),
 * then the spawns (spawn.ts). The decision is taken again only when one of its inputs changed:
 * the graph (in a way that matters, see graphChangeMatters), which agents are alive, pause, or
 * a time gate (a `not_before`, a back-off's `ready_after`, a settling delay) reached. An idle
 * tick re-uses the last one — at 100k tasks a decision walks every task, and nothing it reads
 * has moved.
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
  decided: Map<string, Task>;
  /** Which agents were alive, and pause, as that decision saw them. */
  key: string;
  /** The next instant a time gate opens (ms), when the decision may change by itself. */
  gateMs: number | undefined;
  decidedAtMs: number;
}

export const newDispatchMemo = (): DispatchMemo => ({ decision: undefined, decided: new Map(), key: '', gateMs: undefined, decidedAtMs: 0 });

/** What the decision reads of a ready task besides its row: how it would run, when it was last shaped. */
const shape = (t: Task): string => `${t.exec ?? ''}\0${t.exec_mode ?? ''}\0${lastChangeMs(t)}`;

/**
 * Did the graph change in a way the decision depends on? Any row change (status, claim,
 * dependencies, gates, priority…) or a task added or removed does; otherwise only a change to
 * a task the decision found ready, and only if how it runs or its settling changed (a `wg log`
 * on any task does not).
 */
function graphChangeMatters(ctx: StepContext, memo: DispatchMemo): boolean {
  const c = ctx.graph.index().takeDispatchChanges();
  if (c.all || c.rowChanged) return true;
  const graph = ctx.graph.graph();
  for (const id of c.ids) {
    const before = memo.decided.get(id);
    const now = before && graph.get(id);
    if (before && (!now || shape(before) !== shape(now))) return true;
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

export async function dispatchStep(ctx: StepContext, memo: DispatchMemo, failures: SpawnFailures, input: DispatchInput): Promise<DispatchOutcome> {
  const nowMs = input.now.getTime();
  const aliveIds: string[] = [];
  for (const [id, l] of input.liveness) if (l.alive) aliveIds.push(id);
  const key = `${aliveIds.join(',')}/${input.alive}/${input.paused}`;
  // A missing executor may be installed meanwhile: look again once per poll interval.
  const missingExec = !!memo.decision?.waiting.some((w) => w.reason.kind === 'executor-missing') && nowMs - memo.decidedAtMs >= ctx.settings.pollIntervalMs;
  const changed = graphChangeMatters(ctx, memo);
  const gateOpened = memo.gateMs !== undefined && nowMs >= memo.gateMs;
  if (memo.decision && !changed && key === memo.key && !gateOpened && !missingExec) return { decision: memo.decision, spawned: 0, decided: false };
  const graph = ctx.graph.graph();
  const found = new Map<string, boolean>();
  const decision = decideDispatch(graph, {
    now: input.now,
    maxAgents: ctx.settings.maxAgents,
    aliveAgents: input.alive,
    paused: input.paused,
    settlingDelayMs: ctx.settings.settlingDelayMs,
    liveness: input.liveness,
    executorFor: (task) => runnableExecutor(task, ctx.config, { override: ctx.settings.overrides.executor, path: ctx.agentPath, found }),
  });
  let gateMs = ctx.graph.index().nextGateAfter(nowMs);
  for (const w of decision.waiting) if (w.reason.kind === 'settling') gateMs = Math.min(gateMs ?? Infinity, w.reason.untilMs);
  const decided = new Map<string, Task>();
  for (const x of [...decision.spawn, ...decision.waiting]) decided.set(x.task.id, x.task);
  Object.assign(memo, { decision, decided, key, gateMs, decidedAtMs: nowMs });
  let spawned = 0;
  for (const s of decision.spawn) if (await spawnAgent(ctx, failures, s.task, s.executor, input.now)) spawned++;
  return { decision, spawned, decided: true };
}
