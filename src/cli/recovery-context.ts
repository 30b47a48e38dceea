/**
 * What the recovery commands share: the dispatcher settings, agent liveness as seen from this
 * host, and killing agents (registry first, then the process group).
 */
import { loadConfig, resolveDispatcher, type Config, type ResolvedDispatcher } from '../config.js';
import type { LivenessMap } from '../core/liveness.js';
import { killAgents, type KilledAgent } from '../agents/agent-control.js';
import { registryLiveness } from '../agents/liveness.js';
import type { Registry } from '../store/registry.js';
import type { CliContext } from './context.js';

export interface RecoveryContext {
  config: Config;
  dispatch: ResolvedDispatcher;
  registry: Registry;
  liveness: LivenessMap;
  kill(ids: string[], reason: string, force?: boolean): Promise<KilledAgent[]>;
}

export async function recoveryContext(ctx: CliContext): Promise<RecoveryContext> {
  const config = loadConfig(ctx.paths.config);
  const dispatch = resolveDispatcher(config);
  const registry = await ctx.registry();
  const liveness = registryLiveness(registry, (await ctx.now()).getTime(), dispatch.heartbeatTimeoutMs, ctx.host);
  return {
    config,
    dispatch,
    registry,
    liveness,
    kill: (ids, reason, force) => killAgents(ctx.paths, ids, reason, { graceMs: dispatch.killGraceMs, force: !!force, now: ctx.clock.now() }),
  };
}
