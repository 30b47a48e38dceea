/**
 * `service stop --kill-agents` on the CLI's side (issue 14, point 2): whatever the service's
 * state — stopped by the request, dead (kill -9), hung — the agents of this host that the
 * registry still calls alive are killed here, through the recovery apply path: their claims
 * released (core/plans/stop-agents.ts planKillAll, the service's own plan), then each record
 * checked against the process table (agents/process-table.ts checkSignalTarget) before its
 * group is signalled. A running service has already killed its agents: nothing is left here.
 */
import { hostname } from 'node:os';
import type { KilledAgent } from '../agents/agent-control.js';
import { planKillAll } from '../core/plans/stop-agents.js';
import { isAliveStatus, readRegistry } from '../store/registry.js';
import type { CliContext } from './context.js';
import { planRunner } from './recovery-context.js';

export const KILL_ALL_EXIT_REASON = 'killed (service stop --kill-agents)';

/** The ids of the agents on this host the registry calls alive. */
export function localAliveAgents(ctx: CliContext): string[] {
  const host = hostname();
  return Object.entries(readRegistry(ctx.paths).agents)
    .filter(([, a]) => a && typeof a === 'object' && isAliveStatus(a.status) && (!a.host || a.host === host))
    .map(([id]) => id);
}

/** Kills the agents left alive in the registry (none when the service killed them). */
export async function killLeftAgents(ctx: CliContext): Promise<KilledAgent[]> {
  const ids = localAliveAgents(ctx);
  if (!ids.length) return [];
  const who = ctx.actor();
  const runner = await planRunner(ctx);
  const { killed } = await runner.apply(who, (g) => planKillAll(g, ids, who, KILL_ALL_EXIT_REASON));
  return killed;
}
