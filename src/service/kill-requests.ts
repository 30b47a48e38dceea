/**
 * Kill requests for this host's agents, recorded by `wg kill` on another host (PostgreSQL,
 * agents/pg-kill.ts). Acted on at the top of a tick, right after the registry is read (the
 * request's NOTIFY wakes the service): with the same safety as a local kill — an agent this
 * service supervises is stopped by the supervisor (it started or adopted that very process);
 * any other is signalled only if its record provably names the process wg started
 * (checkSignalTarget). The agent is marked dead first, so its exit reads as deliberate, and the
 * outcome is written back for the waiting `wg kill` (`kill_result`).
 */
import { killRequestOf, type KillRequest, type KillResult } from '../agents/pg-kill.js';
import { checkSignalTarget, killAgentGroup } from '../agents/process-table.js';
import { formatTimestamp } from '../core/time.js';
import { isEndedStatus, type AgentRecord } from '../store/registry.js';
import type { StepContext } from './context.js';

export async function actOnKillRequests(ctx: StepContext, now: Date): Promise<string[]> {
  const mine = Object.values(ctx.registry.current().agents).filter((a) => a.host === ctx.host && killRequestOf(a));
  if (!mine.length) return [];
  const stamp = formatTimestamp(now);
  const decided = mine.map((a) => ({ a, req: killRequestOf(a)!, ...decide(ctx, a) }));
  await ctx.registry.update((r) => {
    for (const d of decided) {
      const x = Object.hasOwn(r.agents, d.a.id) ? r.agents[d.a.id] : undefined;
      if (!x || killRequestOf(x)?.at !== d.req.at) continue; // answered already, or asked again meanwhile
      const result: KillResult = { request_at: d.req.at, at: stamp, host: ctx.host, signalled: d.how !== 'none', ...(d.refused ? { refused: d.refused } : {}), ...(d.was ? { was: d.was } : {}) };
      const rec = x as AgentRecord & { kill_request?: KillRequest; kill_result?: KillResult };
      delete rec.kill_request;
      rec.kill_result = result;
      if (!isEndedStatus(x.status)) Object.assign(x, { status: 'dead', completed_at: stamp, exit_reason: d.req.reason });
    }
  });
  const grace = ctx.settings.dispatcher.killGraceMs;
  for (const d of decided) {
    const force = { force: d.req.force };
    // Not awaited: the grace period runs while the tick goes on; the exit comes back as an exit.
    if (d.how === 'supervisor') void ctx.supervisor.kill(d.a.id, 'manual', force).catch(() => undefined);
    else if (d.how === 'group') void killAgentGroup({ pid: d.a.pid, pgid: d.a.pgid ?? d.a.pid, procStart: d.a.proc_start }, grace, force).catch(() => undefined);
  }
  return decided.map((d) => d.a.id);
}

/** How this host stops the agent, if it can: the same checks as a local `wg kill`. */
function decide(ctx: StepContext, a: AgentRecord): { how: 'supervisor' | 'group' | 'none'; refused?: string; was?: string } {
  if (isEndedStatus(a.status)) return { how: 'none', was: a.status };
  if (ctx.supervisor.isWatched(a.id)) return { how: 'supervisor' };
  if (!a.pid) return { how: 'none' }; // never started: nothing to signal
  const check = checkSignalTarget({ pid: a.pid, pgid: a.pgid ?? a.pid, procStart: a.proc_start });
  if (check.ok) return { how: 'group' };
  return check.gone ? { how: 'none', was: 'exited' } : { how: 'none', refused: check.reason };
}
