/**
 * What happens when an agent dies — the one home of the rule (see docs/architecture.md). A death
 * is seen two ways: the service sees the process exit (service/exits.ts applies
 * `classifyExit` → `planExitWithUsage` → `agentAfterExit`), or nobody saw it and liveness
 * (core/liveness.ts `judgeAgent`) finds the agent dead, and the reconciler reclaims its task
 * (plans/reconcile.ts `planReconcile`, the service's tick and `wg sweep`). Either way a death of
 * the agent holding a task goes through `requeueAfterDeath`: the task back to open with its
 * claim released (epoch+1), the death counted in `retry_count`, a crash-loop back-off, and past
 * `max_retries` the task fails.
 *
 * For an exit the service saw:
 *   1. deliberate kill or crash? (`classifyExit`) — a kill by the service (stop, claim moved,
 *      task terminal) or by a CLI command that marked the agent dead first is deliberate: what
 *      happens to the task is that command's business (or the reconciler's). A hard timeout is
 *      not deliberate: it fails the task.
 *   2. what happens to the task (`planAgentExit`: exit 0 → done, non-zero → failed, timeout →
 *      failed, a signal nobody sent → a death), with the token usage and the session id the
 *      agent printed merged into the task (`planExitWithUsage`) — also when the agent had
 *      finished the task itself, as long as it still holds the claim at its epoch.
 *   3. what the registry says about the agent afterwards (`agentAfterExit`).
 */
import { holdsClaim, release } from '../claims.js';
import type { AgentStatus } from '../agent-status.js';
import type { FailureClass } from '../failure-class.js';
import type { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, type Actor, type Plan } from '../plan.js';
import type { Task, TokenUsage } from '../task.js';
import { formatTimestamp } from '../time.js';
import { accepts } from '../transitions.js';
import { planDone, planFail } from './finish.js';

export const DEFAULT_MAX_RETRIES = 3;

/** Crash-loop guard: death #1 respawns at once, then 2 s, 4 s, 8 s … capped at 5 min. */
export function crashBackoffMs(deaths: number, baseMs = 1000, capMs = 5 * 60_000): number {
  if (deaths <= 1) return 0;
  return Math.min(capMs, baseMs * 2 ** (deaths - 1));
}

export interface ReclaimedClaim {
  task_id: string;
  agent: string;
  reason: string;
  /** The task failed: its retries were exhausted. */
  failed: boolean;
  retry_count: number;
  ready_after?: string;
}

/** How a death is counted (reconcile and agent exit alike). */
export interface DeathOptions {
  /** Default bound when a task has no `max_retries`. */
  maxRetries?: number;
  /** Failure class when retries are exhausted (default none: the Rust tool has none for a vanished agent; `failure_reason` says what happened). */
  failureClass?: FailureClass;
  /** Base of the crash-loop backoff in ms (default 1000). */
  backoffBaseMs?: number;
}

/** What happens to one task whose agent died: re-queued with backoff, or failed past the bound. */
export function requeueAfterDeath(task: Task, agent: string, reason: string, who: Actor, opts: DeathOptions = {}): { task: Task; claim: ReclaimedClaim } {
  const retry = (task.retry_count ?? 0) + 1;
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (retry > max) {
    const failureReason = `agent ${agent} ${reason}; retries exhausted (${retry - 1}/${max})`;
    const next = appendLog(
      release(task, 'failed', { retry_count: retry, failure_reason: failureReason, failure_class: opts.failureClass, completed_at: formatTimestamp(who.now) }),
      logEntry(who, `stale claim cleared: agent ${agent} ${reason}; failed after ${max} retries`),
    );
    return { task: next, claim: { task_id: task.id, agent, reason, failed: true, retry_count: retry } };
  }
  const delay = crashBackoffMs(retry, opts.backoffBaseMs);
  const readyAfter = delay > 0 ? formatTimestamp(new Date(who.now.getTime() + delay)) : undefined;
  const next = appendLog(
    release(task, 'open', { retry_count: retry, ready_after: readyAfter ?? task.ready_after }),
    logEntry(who, `stale claim cleared: agent ${agent} ${reason}${readyAfter ? ` (crash-loop backoff until ${readyAfter})` : ''}`),
  );
  return { task: next, claim: { task_id: task.id, agent, reason, failed: false, retry_count: retry, ...(readyAfter ? { ready_after: readyAfter } : {}) } };
}

export type AgentOutcome =
  | { kind: 'exited'; code: number }
  | { kind: 'timeout' }
  /** Terminated by a signal the service did not send (crash, OOM, kill -9): a death. */
  | { kind: 'signal'; signal: string };

export interface AgentExitResult {
  action: 'none' | 'done' | 'failed' | 'requeued';
  task?: Task;
  reclaimed?: ReclaimedClaim;
}

/**
 * The agent's process ended while its task may still be in progress (SPEC §4): exit 0 → done,
 * non-zero → failed (`agent-exit-nonzero`), hard timeout → failed (`agent-hard-timeout`), a
 * crash → re-queued like any death. Nothing happens unless the task is still held by this
 * agent at this epoch (fenced like the agent itself would be).
 */
export function planAgentExit(graph: Graph, taskId: string, agentId: string, epoch: number, outcome: AgentOutcome, who: Actor, opts: DeathOptions = {}): Plan<AgentExitResult> {
  const task = graph.get(taskId);
  if (!task || !holdsClaim(task, agentId, epoch) || !accepts('agent-exit', task.status)) return noChange({ action: 'none' });
  const asAgent: Actor = { ...who, actor: agentId, agentId, fenceTaskId: taskId, fenceEpoch: epoch };
  if (outcome.kind === 'exited' && outcome.code === 0) {
    try {
      const p = planDone(graph, taskId, asAgent);
      return { ...p, result: { action: 'done', task: p.result.task } };
    } catch (e) {
      // e.g. a dependency was re-opened meanwhile: fail honestly rather than fake a done.
      const p = planFail(graph, taskId, asAgent, { reason: `agent exited 0 but the task cannot be done: ${(e as Error).message}`, failureClass: 'agent-exit-nonzero' });
      return { ...p, result: { action: 'failed', task: p.result.task } };
    }
  }
  if (outcome.kind === 'exited' || outcome.kind === 'timeout') {
    const reason = outcome.kind === 'timeout' ? `agent ${agentId} exceeded its hard timeout` : `agent ${agentId} exited with code ${outcome.code}`;
    const p = planFail(graph, taskId, asAgent, { reason, failureClass: outcome.kind === 'timeout' ? 'agent-hard-timeout' : 'agent-exit-nonzero' });
    return { ...p, result: { action: 'failed', task: p.result.task } };
  }
  const r = requeueAfterDeath(task, agentId, `was killed by ${outcome.signal}`, { ...who, actor: 'service' }, { failureClass: 'agent-exit-nonzero', ...opts });
  return { writes: [r.task], ops: [{ op: 'reclaim', task_id: taskId, detail: { agent: agentId, reason: r.claim.reason, failed: r.claim.failed } }], result: { action: r.claim.failed ? 'failed' : 'requeued', task: r.task, reclaimed: r.claim } };
}

/** How the process ended, as the supervisor saw it. */
export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** The service killed it, and why (`timeout` = its hard timeout). */
  killedBy?: string;
  /** An adopted agent vanished: no exit code is known. */
  inferred?: boolean;
}

/** The agent's registry record, as far as these rules read it. */
export interface ExitingAgent {
  id: string;
  task_id: string;
  claim_epoch?: number | undefined;
  status: AgentStatus;
}

export interface AgentUsage {
  session_id?: string;
  token_usage?: TokenUsage;
}

export type ExitClass = { deliberate: true } | { deliberate: false; outcome: AgentOutcome | undefined };

/** Deliberate kill vs crash (a registry status `dead` means a CLI command killed it on purpose). */
export function classifyExit(ex: ExitFacts, agent: Pick<ExitingAgent, 'status'>): ExitClass {
  if ((ex.killedBy !== undefined && ex.killedBy !== 'timeout') || agent.status === 'dead') return { deliberate: true };
  const outcome: AgentOutcome | undefined =
    ex.killedBy === 'timeout' ? { kind: 'timeout' } : ex.signal ? { kind: 'signal', signal: ex.signal } : ex.code !== null ? { kind: 'exited', code: ex.code } : undefined;
  return { deliberate: false, outcome };
}

/** Does the agent still hold the task at its own claim epoch? */
const stillHolds = (task: Task | undefined, agent: Pick<ExitingAgent, 'id' | 'claim_epoch'>): task is Task => holdsClaim(task, agent.id, agent.claim_epoch ?? 0);

const hasUsage = (u: AgentUsage): boolean => !!(u.token_usage || u.session_id);

export function withUsage(task: Task, usage: AgentUsage): Task {
  return { ...task, ...(usage.session_id ? { session_id: usage.session_id } : {}), ...(usage.token_usage ? { token_usage: usage.token_usage } : {}) };
}

/** The task side of a non-deliberate exit: planAgentExit, plus the agent's usage on the task. */
export function planExitWithUsage(graph: Graph, agent: ExitingAgent, outcome: AgentOutcome, usage: AgentUsage, who: Actor, opts: DeathOptions): Plan<AgentExitResult> {
  const p = planAgentExit(graph, agent.task_id, agent.id, agent.claim_epoch ?? 0, outcome, who, opts);
  if (!hasUsage(usage)) return p;
  const t = p.result.task;
  if (t) {
    const merged = withUsage(t, usage);
    return { ...p, writes: p.writes.map((w) => (w.id === t.id ? merged : w)) };
  }
  // The agent finished the task itself (wg done / wg fail) and the exit changes nothing: the
  // usage still belongs on the task — never onto a task someone else holds now.
  const cur = graph.get(agent.task_id);
  if (stillHolds(cur, agent)) return { ...p, writes: [...p.writes, withUsage(cur, usage)] };
  return p;
}

/** One line for the registry's exit_reason and the log. */
export function exitReason(ex: ExitFacts): string {
  if (ex.killedBy) return `killed (${ex.killedBy})`;
  if (ex.signal) return `killed by ${ex.signal}`;
  return ex.inferred ? 'process exited (exit code unknown)' : `exited with code ${ex.code}`;
}

/** The registry fields an exit sets. */
export interface AgentExitRecord {
  status: 'done' | 'failed' | 'dead';
  exit_code: number | null;
  completed_at: string;
  exit_reason: string;
  session_id?: string;
  token_usage?: TokenUsage;
}

/**
 * The registry mirrors how the agent's own work ended: done or failed when the task ended that
 * way under its claim (also when an adopted agent's exit code is unknown), else dead. A record
 * already declared dead (by the CLI or a lease) keeps its status and its reason.
 */
export function agentAfterExit(
  current: { status: ExitingAgent['status']; exit_reason?: unknown; completed_at?: string | undefined },
  agent: ExitingAgent,
  ex: ExitFacts,
  cls: ExitClass,
  taskNow: Task | undefined,
  usage: AgentUsage,
  now: Date,
): AgentExitRecord {
  const underItsClaim = stillHolds(taskNow, agent);
  const own: AgentExitRecord['status'] =
    cls.deliberate || ex.signal || !underItsClaim ? 'dead' : taskNow.status === 'done' || taskNow.status === 'pending-eval' ? 'done' : taskNow.status === 'failed' ? 'failed' : 'dead';
  const wasDead = current.status === 'dead';
  return {
    status: wasDead ? 'dead' : own,
    exit_code: ex.code,
    completed_at: current.completed_at ?? formatTimestamp(now),
    exit_reason: wasDead && typeof current.exit_reason === 'string' && current.exit_reason ? current.exit_reason : exitReason(ex),
    ...(!cls.deliberate && usage.session_id ? { session_id: usage.session_id } : {}),
    ...(!cls.deliberate && usage.token_usage ? { token_usage: usage.token_usage } : {}),
  };
}
