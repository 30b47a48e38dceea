/**
 * Tick step 2: the liveness of every registered agent — the CLI's assessment
 * (agents/liveness.ts → core/liveness.ts `judgeAgent`) with what only the service knows: which
 * agents it supervises and whose exit it has seen. Then the effects of the verdicts: adopt the
 * live agents an earlier service started, kill a stopped agent whose lease ran out, record the
 * dead in the registry, renew the leases of the agents it watches.
 */
import type { AgentLiveness } from '../core/liveness.js';
import type { Kill } from '../core/plan.js';
import { formatTimestamp, parseTimestamp } from '../core/time.js';
import { hardTimeoutMs } from '../settings.js';
import { assessAgents } from '../agents/liveness.js';
import { checkSignalTarget } from '../agents/process-table.js';
import { isAliveStatus, type AgentRecord } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';
import { applyServicePlan } from './killer.js';

export interface AssessResult {
  liveness: Map<string, AgentLiveness>;
  alive: number;
}

/** The hard-timeout deadline of an agent of `taskId` started at `startedMs` (undefined: none). */
export function deadlineFor(ctx: StepContext, taskId: string, startedMs: number): number | undefined {
  const ms = hardTimeoutMs(ctx.graph.graph().get(taskId), ctx.settings.dispatcher);
  return ms > 0 ? startedMs + ms : undefined;
}

function adopt(ctx: StepContext, a: AgentRecord): boolean {
  if (ctx.supervisor.isWatched(a.id)) return true;
  const deadline = deadlineFor(ctx, a.task_id, parseTimestamp(a.started_at)?.getTime() ?? 0);
  const ok = ctx.supervisor.adopt(a.id, a.pid!, a.pgid ?? a.pid!, a.proc_start, deadline);
  if (ok) ctx.events.emit('agent:adopted', { agent: a.id, task: a.task_id, pid: a.pid! });
  return ok;
}

export async function assess(ctx: StepContext, now: Date): Promise<AssessResult> {
  const nowMs = now.getTime();
  const { supervisor } = ctx;
  const a = assessAgents(ctx.registry.current(), {
    nowMs,
    heartbeatTimeoutMs: ctx.settings.dispatcher.heartbeatTimeoutMs,
    host: ctx.host,
    service: (id) => ({ supervised: supervisor.isWatched(id), exitPending: supervisor.exitPending(id) }),
  });
  const dead: Array<{ agent: AgentRecord; reason: string }> = [];
  const renew: string[] = [];
  const kills: Kill[] = [];
  for (const { agent, verdict } of a.verdicts) {
    if (verdict.alive) {
      if (verdict.adopt && !adopt(ctx, agent)) {
        // Its record does not provably name the process an earlier service started (issue 14):
        // a dead agent, reported — never adopted, so never signalled.
        const check = checkSignalTarget({ pid: agent.pid, pgid: agent.pgid ?? agent.pid, procStart: agent.proc_start });
        dead.push({ agent, reason: check.ok ? 'could not be adopted' : `not adopted: ${check.reason}` });
        continue;
      }
      if (verdict.renewLease) renew.push(agent.id);
      continue;
    }
    dead.push({ agent, reason: verdict.reason });
    if (verdict.leaseExpired && adopt(ctx, agent)) {
      ctx.events.emit('agent:killed', { agent: agent.id, task: agent.task_id, reason: 'lease-expired' });
      kills.push({ agent: agent.id, reason: 'lease-expired' });
    }
  }
  if (kills.length) await applyServicePlan(ctx, serviceActor(now), { writes: [], ops: [], kills, result: undefined });
  if (dead.length || renew.length) {
    const stamp = formatTimestamp(now);
    await ctx.registry.update((r) => {
      for (const d of dead) {
        const rec = r.agents[d.agent.id];
        if (rec && isAliveStatus(rec.status)) Object.assign(rec, { status: 'dead', completed_at: stamp, exit_reason: d.reason });
      }
      for (const id of renew) {
        const rec = r.agents[id];
        if (rec && isAliveStatus(rec.status)) rec.last_heartbeat = stamp;
      }
    });
    for (const d of dead) ctx.events.emit('agent:dead', { agent: d.agent.id, task: d.agent.task_id, reason: d.reason });
  }
  // max_agents bounds this host's agents: with a shared (PostgreSQL) registry, other hosts'
  // live agents are in it too, and do not take this host's slots.
  const alive = a.verdicts.filter((v) => v.verdict.alive && (!v.agent.host || v.agent.host === ctx.host)).length;
  return { liveness: a.liveness, alive };
}
