/**
 * What the recovery commands share (retry, reset, kill, agents kill, sweep, recover, requeue,
 * unclaim): running a plan — applied through the one apply path (write → kill → kick,
 * src/apply.ts) or, with --dry-run, only shown — plus, for the commands that judge agents, the
 * settings and agent liveness as seen from this host.
 */
import { applyPlan, previewPlan, type Applied, type Killer, type PlanSource, type PlanStore } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { LivenessMap } from '../core/liveness.js';
import type { Actor, Plan } from '../core/plan.js';
import { registryKiller } from '../agents/agent-control.js';
import { registryLiveness } from '../agents/liveness.js';
import { describePlan, planJson, renderPlan } from '../render/plan.js';
import type { Settings } from '../settings.js';
import type { Registry } from '../store/registry.js';
import type { CliContext } from './context.js';

/** The first line of every dry run's human output. */
export const DRY_RUN_HEADER = 'Dry run — nothing was changed. The plan:';

export interface PlanRunner {
  /** Write → kill → kick. */
  apply<R>(who: Actor, plan: PlanSource<R>): Promise<Applied<R>>;
  /** The dry run: the plan on the current graph, its JSON and its human lines; nothing changes. */
  preview<R>(plan: PlanSource<R>): { plan: Plan<R>; json: ReturnType<typeof planJson>; lines: string[] };
}

/**
 * The apply path for the CLI, on the project's store. The killer reads the settings
 * (kill_grace) only when a plan kills. With PostgreSQL the dry run's graph is read here, once.
 */
export async function planRunner(ctx: CliContext): Promise<PlanRunner> {
  const pg = await ctx.pg();
  const store: PlanStore = pg ? { mutate: (plan, c) => pg.mutate(plan, { ...c, now: pg.clock.now() }), load: preloaded(await pg.load()) } : ctx.store();
  const killer: Killer = {
    async kill(kills) {
      const settings = await ctx.settings();
      return registryKiller(ctx.paths, settings.dispatcher.killGraceMs, () => ctx.clock.now()).kill(kills);
    },
  };
  const deps = { store, killer, kick: () => ctx.kick() };
  return {
    apply: (who, plan) => {
      if (pg) who.now = pg.clock.now(); // with PostgreSQL, time is the database's
      return applyPlan(deps, who, plan);
    },
    preview(source) {
      const { plan, graph } = previewPlan(store, source);
      return { plan, json: planJson(graph, plan), lines: renderPlan(describePlan(graph, plan)) };
    },
  };
}

export interface RecoveryContext extends PlanRunner {
  settings: Settings;
  registry: Registry;
  liveness: LivenessMap;
}

const preloaded = (graph: Graph) => () => ({ graph });

export async function recoveryContext(ctx: CliContext): Promise<RecoveryContext> {
  const settings = await ctx.settings();
  const registry = await ctx.registry();
  const liveness = registryLiveness(registry, (await ctx.now()).getTime(), settings.dispatcher.heartbeatTimeoutMs, ctx.host);
  return { settings, registry, liveness, ...(await planRunner(ctx)) };
}
