/**
 * The reconciler (SPEC §5, lazy path): every `in-progress` or `open` task whose claim names an
 * agent that is dead or unknown goes back to open (claim cleared, epoch+1), the death counts
 * toward `retry_count`, repeated deaths back off exponentially (`ready_after`), and past
 * `max_retries` the task fails (`agent-died`). Human claims are never touched.
 */
import { deadClaim, release } from '../claims.js';
import type { Graph } from '../graph.js';
import { crashBackoffMs, DEFAULT_MAX_RETRIES, type LivenessMap } from '../liveness.js';
import { appendLog, logEntry, type Actor, type Plan } from '../plan.js';
import { isAgentActor, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';
import { STALE_CLAIM_STATUSES } from '../transitions.js';

export interface ReclaimedClaim {
  task_id: string;
  agent: string;
  reason: string;
  /** The task failed: its retries were exhausted. */
  failed: boolean;
  retry_count: number;
  ready_after?: string;
}

export interface ReconcileOptions {
  /** Default bound when a task has no `max_retries`. */
  maxRetries?: number;
  /** Failure class when retries are exhausted (default `agent-died`). */
  failureClass?: string;
  /** Base of the crash-loop backoff in ms (default 1000). */
  backoffBaseMs?: number;
}

/** A claim the reconciler watches: an agent's (never a human's) on an in-progress or open task. */
export const isStaleClaimCandidate = (t: Task): boolean => STALE_CLAIM_STATUSES.has(t.status) && isAgentActor(t.assigned);

/** What happens to one task whose agent died: re-queued with backoff, or failed past the bound. */
export function requeueAfterDeath(task: Task, agent: string, reason: string, who: Actor, opts: ReconcileOptions = {}): { task: Task; claim: ReclaimedClaim } {
  const retry = (task.retry_count ?? 0) + 1;
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (retry > max) {
    const failureReason = `agent ${agent} ${reason}; retries exhausted (${retry - 1}/${max})`;
    const next = appendLog(
      release(task, 'failed', { retry_count: retry, failure_reason: failureReason, failure_class: opts.failureClass ?? 'agent-died', completed_at: formatTimestamp(who.now) }),
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

export function planReconcile(graph: Graph, liveness: LivenessMap, who: Actor, opts: ReconcileOptions = {}): Plan<{ reclaimed: ReclaimedClaim[] }> {
  const writes: Task[] = [];
  const reclaimed: ReclaimedClaim[] = [];
  for (const task of graph.tasks.values()) {
    if (!STALE_CLAIM_STATUSES.has(task.status)) continue;
    const dead = deadClaim(task, liveness);
    if (!dead) continue;
    const reason = dead.known ? (dead.reason ?? 'is dead') : 'is unknown to the agent registry';
    const r = requeueAfterDeath(graph.get(task.id)!, dead.agent, reason, who, opts);
    writes.push(r.task);
    reclaimed.push(r.claim);
  }
  return { writes, ops: reclaimed.map((c) => ({ op: 'reclaim', task_id: c.task_id, detail: { agent: c.agent, reason: c.reason, failed: c.failed } })), result: { reclaimed } };
}

/**
 * Release claims without counting a death (a deliberate `service stop --kill-agents`):
 * open, claim cleared, epoch+1.
 */
export function planReleaseClaims(graph: Graph, agents: ReadonlySet<string>, reason: string, who: Actor): Plan<{ released: string[] }> {
  const writes: Task[] = [];
  for (const task of graph.tasks.values()) {
    if (!isStaleClaimCandidate(task) || !agents.has(task.assigned!)) continue;
    const whole = graph.get(task.id)!;
    writes.push(appendLog(release(whole, 'open'), logEntry(who, `claim of ${whole.assigned} released: ${reason}`)));
  }
  return { writes, ops: writes.map((t) => ({ op: 'release', task_id: t.id, detail: { reason } })), result: { released: writes.map((t) => t.id) } };
}
