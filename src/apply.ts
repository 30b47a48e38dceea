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
 * The graph commit is the point of truth (issue 14): once it happened, a kill that fails is a
 * warning (`warnings`), not an error — the change was made. The kills of a writing plan are
 * recorded (`pending`) before the commit, so the next command finishes what this one could not.
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
  mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: { now: Date; actor?: string; user?: string }): Promise<{ result: R; written: boolean; warnings?: string[] }>;
  load(): { graph: Graph };
}

export interface ApplyDeps {
  store: PlanStore;
  killer: Killer;
  kick: () => void;
  /** Records a writing plan's kills before its commit (under the graph lock); cleared once they are done. */
  pending?: (kills: readonly Kill[]) => { clear(): void };
}

export interface Applied<R> {
  plan: Plan<R>;
  result: R;
  /** The graph changed. */
  written: boolean;
  killed: KilledAgent[];
  /** What failed after the commit (the change stands): for the user, as warnings. */
  warnings: string[];
}

/**
 * A plan to apply: a function of the graph (run under the lock), or a plan that needs no graph
 * and writes nothing (e.g. `wg agents kill`), which then never takes the lock.
 */
export type PlanSource<R> = ((graph: Graph) => Plan<R>) | Plan<R>;

export async function applyPlan<R>(deps: ApplyDeps, who: Actor, source: PlanSource<R>): Promise<Applied<R>> {
  let plan: Plan<R>;
  let written = false;
  let pending: { clear(): void } | undefined;
  const warnings: string[] = [];
  if (typeof source === 'function') {
    let planned: Plan<R> | undefined;
    try {
      const out = await deps.store.mutate(
        (g) => {
          planned = source(g);
          // Under the lock, before the commit: a failure here still changes nothing.
          if (planned.writes.length && planned.kills?.length && deps.pending) pending = deps.pending(planned.kills);
          return planned;
        },
        { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) },
      );
      written = out.written;
      warnings.push(...(out.warnings ?? []));
    } catch (e) {
      pending?.clear();
      throw e;
    }
    plan = planned!;
  } else {
    // A plan computed outside the lock may not write: its view of the graph may be stale.
    if (source.writes.length) throw new Error('applyPlan: a precomputed plan cannot write tasks; pass a function of the graph');
    plan = source;
  }
  let killed: KilledAgent[] = [];
  if (plan.kills?.length) {
    try {
      killed = await deps.killer.kill(plan.kills);
      pending?.clear();
    } catch (e) {
      // Nothing committed: an ordinary failure. After the commit, the change stands.
      if (!written) {
        pending?.clear();
        throw e;
      }
      const ids = [...new Set(plan.kills.map((k) => k.agent))].join(', ');
      warnings.push(`the change was saved, but ${ids} could not be stopped: ${(e as Error).message}; the next recovery command finishes it (or stop it yourself)`);
    }
  }
  if (written || killed.length) deps.kick();
  return { plan, result: plan.result, written, killed, warnings };
}

/** The dry run: the plan on the graph as a lock-free reader sees it; nothing is written or killed. */
export function previewPlan<R>(store: Pick<PlanStore, 'load'>, source: PlanSource<R>): { plan: Plan<R>; graph: Graph } {
  const { graph } = store.load();
  return { plan: typeof source === 'function' ? source(graph) : source, graph };
}
