/**
 * Stopping agents. Tick step 5: the agents whose task ended (after kill_grace) or whose claim
 * moved on — core/plans/stop-agents.ts plans the kills, the one apply path (src/apply.ts) runs
 * them with the supervisor as its Killer. And, on `service stop --kill-agents`, every local
 * agent: its claim released, killed, marked dead.
 */
import { planKillAll, planStopAgents } from '../core/plans/stop-agents.js';
import { formatTimestamp } from '../core/time.js';
import { isAliveStatus } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';
import { applyServicePlan } from './killer.js';

/** Kill grace under way: when each agent's task was first seen terminal, and when to look again. */
export interface GraceState {
  terminalSince: Record<string, number>;
  wakeAtMs: number | undefined;
}

export async function stopAgents(ctx: StepContext, grace: GraceState, now: Date): Promise<void> {
  const { supervisor } = ctx;
  const agents = ctx.registry.current().agents;
  // A kill under way is not planned again (its exit follows).
  const running = supervisor
    .watchedIds()
    .filter((id) => agents[id] && !supervisor.isKilling(id))
    .map((id) => ({ agent: id, task: agents[id]!.task_id, epoch: agents[id]!.claim_epoch }));
  if (!running.length) {
    grace.terminalSince = {};
    grace.wakeAtMs = undefined;
    return;
  }
  const plan = planStopAgents(ctx.graph.graph(), running, now.getTime(), ctx.settings.dispatcher.killGraceMs, grace.terminalSince);
  grace.terminalSince = plan.result.terminalSince;
  grace.wakeAtMs = plan.result.wakeAtMs;
  for (const s of plan.result.stop) ctx.events.emit('agent:killed', { agent: s.agent, task: s.task, reason: s.reason });
  if (plan.kills?.length) await applyServicePlan(ctx, serviceActor(now), plan);
}

/** `service stop --kill-agents`: every local agent (adopted first if need be), claims released. */
export async function killAllAgents(ctx: StepContext, now: Date): Promise<void> {
  const { supervisor } = ctx;
  for (const a of Object.values(ctx.registry.current().agents)) {
    // Agents started by an earlier service that we never adopted still count.
    if (isAliveStatus(a.status) && (!a.host || a.host === ctx.host) && a.pid && !supervisor.isWatched(a.id)) supervisor.adopt(a.id, a.pid, a.pgid ?? a.pid, a.proc_start, undefined);
  }
  const all = supervisor.watchedIds();
  const who = serviceActor(now);
  await ctx.graph.refresh(now);
  // Write (claims released, epoch+1: the agents are fenced) → kill (and wait for the groups).
  await applyServicePlan(ctx, who, (g) => planKillAll(g, all, who, 'stop'), true);
  const stamp = formatTimestamp(now);
  await ctx.registry.update((r) => {
    for (const id of all) {
      const a = r.agents[id];
      if (a && isAliveStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: 'killed (service stop --kill-agents)' });
    }
  });
  ctx.events.emit('service:agents-killed', { agents: all });
}
