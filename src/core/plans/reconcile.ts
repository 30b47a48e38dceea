/**
 * The reconciler (SPEC §5, lazy path): every `in-progress` or `open` task whose claim names an
 * agent that is dead or unknown goes back to open (claim cleared, epoch+1), the death counts
 * toward `retry_count`, repeated deaths back off exponentially (`ready_after`), and past
 * `max_retries` the task fails (`agent-died`). Human claims are never touched.
 */
import { deadClaim, release } from '../claims.js';
import type { Graph } from '../graph.js';
import type { LivenessMap } from '../liveness.js';
import { requeueAfterDeath, type DeathOptions, type ReclaimedClaim } from './agent-death.js';
import { appendLog, logEntry, type Actor, type Plan } from '../plan.js';
import { isAgentActor, type Task } from '../task.js';
import { STALE_CLAIM_STATUSES } from '../transitions.js';

/** A claim the reconciler watches: an agent's (never a human's) on an in-progress or open task. */
export const isStaleClaimCandidate = (t: Task): boolean => STALE_CLAIM_STATUSES.has(t.status) && isAgentActor(t.assigned);


export function planReconcile(graph: Graph, liveness: LivenessMap, who: Actor, opts: DeathOptions = {}): Plan<{ reclaimed: ReclaimedClaim[] }> {
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
