/**
 * Stopping agents. Tick step 5: the agents whose task ended (after kill_grace) or whose claim
 * moved on (core/plans/stop-agents.ts decides; this kills their process groups). And, on
 * `service stop --kill-agents`, every local agent: killed, marked dead, claims released.
 */
import { planReleaseClaims } from '../core/plans/reconcile.js';
import { planStopAgents } from '../core/plans/stop-agents.js';
import { formatTimestamp } from '../core/time.js';
import { isAliveStatus } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';

/** Kill grace under way: when each agent's task was first seen terminal, and when to look again. */
export interface GraceState {
  terminalSince: Map<string, number>;
  wakeAtMs: number | undefined;
}

export function stopAgents(ctx: StepContext, grace: GraceState, now: Date): void {
  const { supervisor } = ctx;
  const agents = ctx.registry.current().agents;
  // A kill under way is not planned again (its exit follows).
  const running = supervisor
    .watchedIds()
    .filter((id) => agents[id] && !supervisor.isKilling(id))
    .map((id) => ({ agent: id, task: agents[id]!.task_id, epoch: agents[id]!.claim_epoch }));
  const plan = planStopAgents(ctx.graph.graph(), running, now.getTime(), ctx.settings.killGraceMs, grace.terminalSince);
  grace.terminalSince = plan.terminalSince;
  grace.wakeAtMs = plan.wakeAtMs;
  for (const s of plan.stop) {
    ctx.events.emit('agent:killed', { agent: s.agent, task: s.task, reason: s.reason });
    void supervisor.kill(s.agent, s.reason);
  }
}

/** `service stop --kill-agents`: every local agent (adopted first if need be), claims released. */
export async function killAllAgents(ctx: StepContext, now: Date): Promise<void> {
  const { supervisor } = ctx;
  for (const a of Object.values(ctx.registry.current().agents)) {
    // Agents started by an earlier service that we never adopted still count.
    if (isAliveStatus(a.status) && (!a.host || a.host === ctx.host) && a.pid && !supervisor.isWatched(a.id)) supervisor.adopt(a.id, a.pid, a.pgid ?? a.pid, a.proc_start, undefined);
  }
  const all = supervisor.watchedIds();
  await Promise.all(all.map((id) => supervisor.kill(id, 'stop')));
  const stamp = formatTimestamp(now);
  await ctx.registry.update((r) => {
    for (const id of all) {
      const a = r.agents[id];
      if (a && isAliveStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: 'killed (service stop --kill-agents)' });
    }
  });
  await ctx.graph.refresh();
  await ctx.graph.mutate((g) => planReleaseClaims(g, new Set(all), 'service stopped with --kill-agents', serviceActor(now)), now);
  ctx.events.emit('service:agents-killed', { agents: all });
}
