/**
 * `wg requeue ID --reason R` (an in-progress task back to open, counted as a re-queue) and the
 * release half of `wg kill AGENT` (the agent's task back to open, paused unless --redispatch).
 */
import { holdsClaim, release } from '../claims.js';
import { usageError } from '../errors.js';
import type { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import type { Task } from '../task.js';
import { releasedStatus, requireFrom } from '../transitions.js';

export function planRequeue(graph: Graph, id: string, reason: string, who: Actor): Plan<{ task: Task; was?: string }> {
  if (!reason.trim()) throw usageError('requeue needs --reason', `wg requeue ${id} --reason "why it goes back to the queue"`);
  const task = requireTask(graph, id);
  requireFrom('requeue', task, 'requeue it (only in-progress tasks)');
  const next = appendLog(
    release(task, 'open', { started_at: undefined, retry_count: (task.retry_count ?? 0) + 1 }),
    logEntry(who, `Requeued: ${reason}${task.assigned ? ` (was ${task.assigned})` : ''}`),
  );
  return { writes: [next], ops: [{ op: 'requeue', task_id: id, detail: { reason, was: task.assigned } }], result: { task: next, ...(task.assigned ? { was: task.assigned } : {}) } };
}

/** After `wg kill AGENT`: release the agent's claim; pause the task unless it should be redispatched. */
export function planKillRelease(graph: Graph, taskId: string, agentId: string, redispatch: boolean, who: Actor): Plan<{ task?: Task }> {
  const task = graph.get(taskId);
  if (!holdsClaim(task, agentId)) return noChange({});
  const next = appendLog(
    release(task, releasedStatus(task.status), { paused: redispatch ? task.paused : true }),
    logEntry(who, `Agent ${agentId} killed by 'wg kill'${redispatch ? '; task released for redispatch' : '; task released and paused (wg resume ' + taskId + ')'}`),
  );
  return { writes: [next], ops: [{ op: 'kill', task_id: taskId, detail: { agent: agentId, redispatch } }], result: { task: next } };
}
