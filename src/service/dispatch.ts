/**
 * Tick step 6: which ready tasks get an agent now (core/plans/dispatch.ts `decideDispatch`),
 * then the spawns (spawn.ts). The decision is taken again only when one of its inputs changed:
 * the graph, the registry, the number of live agents, pause, or a time gate (a `not_before`,
 * a back-off's `ready_after`, a settling delay) reached. An idle tick re-uses the last one —
 * at 100k tasks a decision walks every task, and nothing it reads has moved.
 */
import type { LivenessMap } from '../core/liveness.js';
import { decideDispatch, type DispatchDecision } from '../core/plans/dispatch.js';
import type { Graph } from '../core/graph.js';
import { parseTimestamp } from '../core/time.js';
import type { StepContext } from './context.js';
import { executorFor, spawnAgent, type SpawnFailures } from './spawn.js';

export interface DispatchMemo {
  decision: DispatchDecision | undefined;
  key: string;
  /** The next instant a time gate opens (ms), when the decision may change by itself. */
  gateMs: number | undefined;
  decidedAtMs: number;
}

export const newDispatchMemo = (): DispatchMemo => ({ decision: undefined, key: '', gateMs: undefined, decidedAtMs: 0 });

/** The earliest future `not_before` / `ready_after` of an open task, or a settling delay's end. */
function nextGate(graph: Graph, decision: DispatchDecision, nowMs: number): number | undefined {
  let next = Infinity;
  for (const w of decision.waiting) if (w.reason.kind === 'settling') next = Math.min(next, w.reason.untilMs);
  for (const t of graph.tasks.values()) {
    if (t.status !== 'open' && t.status !== 'incomplete') continue;
    for (const f of [t.ready_after, t.not_before]) {
      const ms = f ? parseTimestamp(f)?.getTime() : undefined;
      if (ms !== undefined && ms > nowMs) next = Math.min(next, ms);
    }
  }
  return next === Infinity ? undefined : next;
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
  const key = `${ctx.graph.generation}/${ctx.registry.generation}/${input.alive}/${input.paused}`;
  // A missing executor may be installed meanwhile: look again once per poll interval.
  const missingExec = memo.decision?.waiting.some((w) => w.reason.kind === 'executor-missing') && nowMs - memo.decidedAtMs >= ctx.settings.pollIntervalMs;
  const stale = !memo.decision || key !== memo.key || (memo.gateMs !== undefined && nowMs >= memo.gateMs) || missingExec;
  if (!stale) return { decision: memo.decision!, spawned: 0, decided: false };
  const graph = ctx.graph.graph();
  const found = new Map<string, boolean>();
  const decision = decideDispatch(graph, {
    now: input.now,
    maxAgents: ctx.settings.maxAgents,
    aliveAgents: input.alive,
    paused: input.paused,
    settlingDelayMs: ctx.settings.settlingDelayMs,
    liveness: input.liveness,
    executorFor: (task) => executorFor(ctx, task, found),
  });
  Object.assign(memo, { decision, key, gateMs: nextGate(graph, decision, nowMs), decidedAtMs: nowMs });
  let spawned = 0;
  for (const s of decision.spawn) if (await spawnAgent(ctx, failures, s.task, s.executor, input.now)) spawned++;
  return { decision, spawned, decided: true };
}
