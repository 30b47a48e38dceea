/**
 * The one apply path (issue 8): a plan's effects, in this order —
 *   1. write: the plan is computed under the graph lock from the graph as it is now, and its
 *      writes are made durable (the store's `mutate`);
 *   2. kill:  the plan's kills, through an injected Killer (the CLI: registry first, then the
 *      process group; the service can pass its supervisor);
 *   3. kick:  a running service is told to tick (best effort).
 * Writes come first so a killed agent, fenced by the new epoch, can no longer touch its task;
 * the kick comes last so the service's next tick sees the agents already marked dead.
 *
 * `previewPlan` is the dry run: the same plan on a lock-free read, nothing applied.
 */
import type { Graph } from './core/graph.js';
import type { Actor, Kill, Plan } from './core/plan.js';

import type { KilledAgent } from './agents/agent-control.js';

export type { KilledAgent };

/** Stops agents. The CLI's kills agents as any process on this host can; the service's owns them. */
export interface Killer {
  kill(kills: readonly Kill[]): Promise<KilledAgent[]>;
}

/** What the apply path needs of a store (JsonlStore has it). */
export interface PlanStore {
  mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: { now: Date; actor?: string; user?: string }): Promise<{ result: R; written: boolean }>;
  load(): { graph: Graph };
}

export interface ApplyDeps {
  store: PlanStore;
  killer: Killer;
  kick: () => void;
}

export interface Applied<R> {
  plan: Plan<R>;
  result: R;
  /** The graph changed. */
  written: boolean;
  killed: KilledAgent[];
}

/**
 * A plan to apply: a function of the graph (run under the lock), or a plan that needs no graph
 * and writes nothing (e.g. `wg agents kill`), which then never takes the lock.
 */
export type PlanSource<R> = ((graph: Graph) => Plan<R>) | Plan<R>;

export async function applyPlan<R>(deps: ApplyDeps, who: Actor, source: PlanSource<R>): Promise<Applied<R>> {
  let plan: Plan<R>;
  let written = false;
  if (typeof source === 'function') {
    let planned: Plan<R> | undefined;
    const out = await deps.store.mutate((g) => (planned = source(g)), { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) });
    plan = planned!;
    written = out.written;
  } else {
    // A plan computed outside the lock may not write: its view of the graph may be stale.
    if (source.writes.length) throw new Error('applyPlan: a precomputed plan cannot write tasks; pass a function of the graph');
    plan = source;
  }
  const killed = plan.kills?.length ? await deps.killer.kill(plan.kills) : [];
  if (written || killed.length) deps.kick();
  return { plan, result: plan.result, written, killed };
}

/** The dry run: the plan on the graph as a lock-free reader sees it; nothing is written or killed. */
export function previewPlan<R>(store: Pick<PlanStore, 'load'>, source: PlanSource<R>): { plan: Plan<R>; graph: Graph } {
  const { graph } = store.load();
  return { plan: typeof source === 'function' ? source(graph) : source, graph };
}
