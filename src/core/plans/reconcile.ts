/**
 * The reconciler (SPEC §5, lazy path): every `in-progress` or `open` task whose claim names an
 * agent that is dead or unknown goes back to open (claim cleared, epoch+1), the death counts
 * toward `retry_count`, repeated deaths back off exponentially (`ready_after`), and past
 * `max_retries` the task fails (`agent-died`). Human claims are never touched.
 */
import type { Graph } from '../graph.js';
import { crashBackoffMs, DEFAULT_MAX_RETRIES, type LivenessMap } from '../liveness.js';
import { appendLog, logEntry, nextEpoch, type Actor, type Plan } from '../plan.js';
import { isAgentActor, withFields, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';

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

export const isStaleClaimCandidate = (t: Task): boolean => (t.status === 'in-progress' || t.status === 'open') && isAgentActor(t.assigned);

/** What happens to one task whose agent died: re-queued with backoff, or failed past the bound. */
export function requeueAfterDeath(task: Task, agent: string, reason: string, who: Actor, opts: ReconcileOptions = {}): { task: Task; claim: ReclaimedClaim } {
  const retry = (task.retry_count ?? 0) + 1;
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  const base = { assigned: undefined, claim_epoch: nextEpoch(task), retry_count: retry };
  if (retry > max) {
    const failureReason = `agent ${agent} ${reason}; retries exhausted (${retry - 1}/${max})`;
    const next = appendLog(
      withFields(task, { ...base, status: 'failed', failure_reason: failureReason, failure_class: opts.failureClass ?? 'agent-died', completed_at: formatTimestamp(who.now) }),
      logEntry(who, `stale claim cleared: agent ${agent} ${reason}; failed after ${max} retries`),
    );
    return { task: next, claim: { task_id: task.id, agent, reason, failed: true, retry_count: retry } };
  }
  const delay = crashBackoffMs(retry, opts.backoffBaseMs);
  const readyAfter = delay > 0 ? formatTimestamp(new Date(who.now.getTime() + delay)) : undefined;
  const next = appendLog(
    withFields(task, { ...base, status: 'open', ready_after: readyAfter ?? task.ready_after }),
    logEntry(who, `stale claim cleared: agent ${agent} ${reason}${readyAfter ? ` (crash-loop backoff until ${readyAfter})` : ''}`),
  );
  return { task: next, claim: { task_id: task.id, agent, reason, failed: false, retry_count: retry, ...(readyAfter ? { ready_after: readyAfter } : {}) } };
}

export function planReconcile(graph: Graph, liveness: LivenessMap, who: Actor, opts: ReconcileOptions = {}): Plan<{ reclaimed: ReclaimedClaim[] }> {
  const writes: Task[] = [];
  const reclaimed: ReclaimedClaim[] = [];
  for (const task of graph.tasks.values()) {
    if (!isStaleClaimCandidate(task)) continue;
    const agent = task.assigned!;
    const state = liveness.get(agent);
    if (state?.alive) continue;
    const reason = state ? (state.reason ?? 'is dead') : 'is unknown to the agent registry';
    const r = requeueAfterDeath(graph.get(task.id)!, agent, reason, who, opts);
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
    writes.push(appendLog(withFields(whole, { status: 'open', assigned: undefined, claim_epoch: nextEpoch(whole) }), logEntry(who, `claim of ${whole.assigned} released: ${reason}`)));
  }
  return { writes, ops: writes.map((t) => ({ op: 'release', task_id: t.id, detail: { reason } })), result: { released: writes.map((t) => t.id) } };
}
