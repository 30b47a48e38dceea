/**
 * What the recovery commands share: the dispatcher settings, agent liveness as seen from this
 * host, and killing agents (registry first, then the process group).
 */
import { loadConfig, resolveDispatcher, type Config, type ResolvedDispatcher } from '../config.js';
import type { LivenessMap } from '../core/liveness.js';
import { killAgents, type KilledAgent } from '../agents/agent-control.js';
import { registryLiveness } from '../agents/liveness.js';
import { readRegistry, type Registry } from '../store/registry.js';
import type { CliContext } from './context.js';

export interface RecoveryContext {
  config: Config;
  dispatch: ResolvedDispatcher;
  registry: Registry;
  liveness: LivenessMap;
  kill(ids: string[], reason: string, force?: boolean): Promise<KilledAgent[]>;
}

export function recoveryContext(ctx: CliContext): RecoveryContext {
  const config = loadConfig(ctx.paths.config);
  const dispatch = resolveDispatcher(config);
  const registry = readRegistry(ctx.paths);
  const liveness = registryLiveness(registry, ctx.clock.now().getTime(), dispatch.heartbeatTimeoutMs);
  return {
    config,
    dispatch,
    registry,
    liveness,
    kill: (ids, reason, force) => killAgents(ctx.paths, ids, reason, { graceMs: dispatch.killGraceMs, force: !!force, now: ctx.clock.now() }),
  };
}
