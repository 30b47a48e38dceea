/**
 * Tick step 2: the liveness of every registered agent — the CLI's assessment
 * (agents/liveness.ts → core/liveness.ts `judgeAgent`) with what only the service knows: which
 * agents it supervises and whose exit it has seen. Then the effects of the verdicts: adopt the
 * live agents an earlier service started, kill a stopped agent whose lease ran out, record the
 * dead in the registry, renew the leases of the agents it watches. And hangs (core/idle.ts): a
 * supervised agent with no output, no `wg` call and no CPU in its group for `idle_timeout` is
 * declared dead ("hung: …"), its group killed; the reconciler then re-queues its task like any
 * death (counted toward max_retries).
 */
import { join } from 'node:path';
import { judgeIdle, observeActivity, seedActivity, type IdleState } from '../core/idle.js';
import type { AgentLiveness } from '../core/liveness.js';
import type { Kill } from '../core/plan.js';
import { formatTimestamp, parseTimestamp } from '../core/time.js';
import { hardTimeoutMs } from '../settings.js';
import { sampleActivity } from '../agents/activity.js';
import { assessAgents } from '../agents/liveness.js';
import { checkSignalTarget } from '../agents/process-table.js';
import { isAliveStatus, type AgentRecord } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';
import { applyServicePlan } from './killer.js';

export interface AssessResult {
  liveness: Map<string, AgentLiveness>;
  alive: number;
}

/** What the hang rule remembers between ticks: each watched agent's last sample and activity. */
export interface IdleMemo {
  agents: Map<string, IdleState>;
  /** The earliest time an agent becomes hung if nothing moves (the daemon wakes then). */
  wakeAtMs: number | undefined;
  /** When /proc was last scanned. */
  sampledAtMs: number | undefined;
}

export const newIdleMemo = (): IdleMemo => ({ agents: new Map(), wakeAtMs: undefined, sampledAtMs: undefined });

/**
 * A /proc scan costs a read per process on the machine, so the service does not scan on every
 * tick: at most once per 1/20 of idle_timeout (at least 1 s; at most a quarter of it) — 30 s at
 * the default 10m — unless an idle deadline has come (or none was made yet). A new agent is not
 * a reason to scan: its start counts as activity until the next scan (seedActivity). Activity is
 * then seen up to one interval late, which can only delay a kill, by at most 5 % of idle_timeout.
 */
export const sampleIntervalMs = (idleTimeoutMs: number): number => Math.min(Math.max(1000, idleTimeoutMs / 20), idleTimeoutMs / 4);

/** Each live agent's idle time (ms) as of the last tick, for `service status` and `wg agents`. */
export function idleTimes(memo: IdleMemo, nowMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, st] of memo.agents) out[id] = Math.max(0, nowMs - st.lastActivityMs);
  return out;
}

/**
 * Samples the supervised live agents and returns the hung ones with their reason. Only agents
 * the service watches are judged (their process is ours to kill); one /proc scan for all.
 */
function findHung(ctx: StepContext, memo: IdleMemo, candidates: AgentRecord[], nowMs: number): Map<string, string> {
  const hung = new Map<string, string>();
  const timeoutMs = ctx.settings.dispatcher.idleTimeoutMs;
  const watched = candidates.filter((a) => a.pid !== undefined && ctx.supervisor.isWatched(a.id) && !ctx.supervisor.isKilling(a.id));
  const keep = new Set(watched.map((a) => a.id));
  for (const id of memo.agents.keys()) if (!keep.has(id)) memo.agents.delete(id);
  if (timeoutMs <= 0 || !watched.length) {
    memo.wakeAtMs = undefined;
    return hung;
  }
  const recent = memo.sampledAtMs !== undefined && nowMs - memo.sampledAtMs < sampleIntervalMs(timeoutMs);
  if (recent && (memo.wakeAtMs ?? Infinity) > nowMs) {
    // A new agent waits for the next scheduled scan: its start counts as its activity.
    for (const a of watched) if (!memo.agents.has(a.id)) memo.agents.set(a.id, seedActivity(nowMs));
    return hung;
  }
  memo.sampledAtMs = nowMs;
  memo.wakeAtMs = undefined;
  const samples = sampleActivity(watched.map((a) => ({ id: a.id, pgid: a.pgid ?? a.pid!, outputFile: a.output_file, agentDir: join(ctx.paths.agentsDir, a.id) })));
  for (const a of watched) {
    const prev = memo.agents.get(a.id);
    const st = observeActivity(prev, samples.get(a.id)!, nowMs);
    memo.agents.set(a.id, st);
    const v = judgeIdle(st, nowMs, timeoutMs);
    if (v.hung) hung.set(a.id, v.reason);
    else if (v.checkAtMs !== undefined) memo.wakeAtMs = Math.min(memo.wakeAtMs ?? Infinity, v.checkAtMs);
  }
  return hung;
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

export async function assess(ctx: StepContext, now: Date, idle: IdleMemo = newIdleMemo()): Promise<AssessResult> {
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
  const hung = findHung(ctx, idle, a.verdicts.filter((v) => v.verdict.alive).map((v) => v.agent), nowMs);
  for (const { agent, verdict } of a.verdicts) {
    const hangReason = hung.get(agent.id);
    if (hangReason) {
      // Hung: dead now (the reconciler re-queues its task this tick), its whole group killed.
      dead.push({ agent, reason: hangReason });
      a.liveness.set(agent.id, { alive: false, reason: hangReason });
      idle.agents.delete(agent.id);
      ctx.events.emit('agent:killed', { agent: agent.id, task: agent.task_id, reason: 'hung' });
      kills.push({ agent: agent.id, reason: 'hung' });
      continue;
    }
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
  // (hung and unprovable agents are dead now, whatever their verdict said)
  const gone = new Set(dead.map((d) => d.agent.id));
  const alive = a.verdicts.filter((v) => v.verdict.alive && !gone.has(v.agent.id) && (!v.agent.host || v.agent.host === ctx.host)).length;
  return { liveness: a.liveness, alive };
}
