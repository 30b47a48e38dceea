/**
 * What the recovery commands share (retry, reset, kill, agents kill, sweep, recover, requeue,
 * unclaim): running a plan — applied through the one apply path (write → kill → kick,
 * src/apply.ts) or, with --dry-run, only shown — plus, for the commands that judge agents, the
 * settings and agent liveness as seen from this host.
 */
import { applyPlan, previewPlan, type Applied, type Killer, type PlanSource, type PlanStore } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { LivenessMap } from '../core/liveness.js';
import type { Actor, Kill, Plan } from '../core/plan.js';
import { registryKiller } from '../agents/agent-control.js';
import { leftoverKills, recordPendingKills } from '../agents/pending-kills.js';
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
      if (pg) {
        // Every host's agents: this host's signalled here, others' asked of their service.
        const { pgKiller } = await import('../agents/pg-kill.js');
        const { PgRegistry } = await import('../store/pg/registry.js');
        const registry = new PgRegistry(pg.pool, ctx.host);
        const notify = async (): Promise<void> => void (await pg.pool.query('NOTIFY wg_changed'));
        const answerWithinMs = Math.max(10_000, 3 * settings.dispatcher.pollIntervalMs);
        return pgKiller({ registry, notify, graceMs: settings.dispatcher.killGraceMs, answerWithinMs, now: () => pg.clock.now() }).kill(kills);
      }
      return registryKiller(ctx.paths, settings.dispatcher.killGraceMs, () => ctx.clock.now()).kill(kills);
    },
  };
  const deps = { store, killer, kick: () => ctx.kick(), pending: (kills: readonly Kill[]) => recordPendingKills(ctx.paths, kills) };
  return {
    async apply(who, plan) {
      await finishLeftoverKills(ctx, store, killer);
      if (pg) who.now = pg.clock.now(); // with PostgreSQL, time is the database's
      const applied = await applyPlan(deps, who, plan);
      // A record that does not provably name the agent's process was marked dead, not signalled.
      for (const k of applied.killed) {
        if (!k.notSignalled) continue;
        if (k.pending) ctx.warn(`${k.id} was not signalled yet: ${k.notSignalled}`);
        else ctx.warn(`${k.id}${k.host ? ` (on host '${k.host}')` : ''} was not signalled: ${k.notSignalled}; it is marked dead (if it still runs, stop it yourself)`);
      }
      for (const w of applied.warnings) ctx.warn(w);
      return applied;
    },
    preview(source) {
      const { plan, graph } = previewPlan(store, source);
      return { plan, json: planJson(graph, plan), lines: renderPlan(describePlan(graph, plan)) };
    },
  };
}

/**
 * Kills an earlier command recorded before its commit and could not carry out (its registry
 * write failed, it was killed): finished here, before this command's own plan. Best effort: a
 * failure leaves the record for the next command and is a warning.
 */
async function finishLeftoverKills(ctx: CliContext, store: Pick<PlanStore, 'load'>, killer: Killer): Promise<void> {
  try {
    const left = leftoverKills(ctx.paths, () => store.load().graph);
    if (!left) return;
    if (left.due.length) {
      const killed = await killer.kill(left.due);
      ctx.note(`finished stopping ${killed.map((k) => k.id).join(', ')} (left over from an interrupted command)`);
    }
    left.clear();
  } catch (e) {
    ctx.warn(`could not finish the kills an earlier command left: ${(e as Error).message}`);
  }
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
