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
import { releaseKills } from './claim.js';

export function planRequeue(graph: Graph, id: string, reason: string, who: Actor, opts: { holderAlive?: boolean } = {}): Plan<{ task: Task; was?: string }> {
  if (!reason.trim()) throw usageError('requeue needs --reason', `wg requeue ${id} --reason "why it goes back to the queue"`);
  const task = requireTask(graph, id);
  requireFrom('requeue', task, 'requeue it (only in-progress tasks)');
  const kills = releaseKills(task.assigned, !!opts.holderAlive, who, `killed by wg requeue ${id}`);
  const next = appendLog(
    release(task, 'open', { started_at: undefined, retry_count: (task.retry_count ?? 0) + 1 }),
    logEntry(who, `Requeued: ${reason}${task.assigned ? ` (was ${task.assigned})` : ''}${kills.length ? `; killing ${task.assigned}` : ''}`),
  );
  return { writes: [next], ops: [{ op: 'requeue', task_id: id, detail: { reason, was: task.assigned } }], kills, result: { task: next, ...(task.assigned ? { was: task.assigned } : {}) } };
}

/**
 * `wg kill AGENT [--redispatch] [--force]`: kill the agent (whether or not it still runs: the
 * kill marks it dead in the registry) and release its task — paused unless --redispatch.
 */
export function planKill(graph: Graph, agentId: string, taskId: string, opts: { redispatch?: boolean; force?: boolean }, who: Actor): Plan<{ task?: Task }> {
  const p = planKillRelease(graph, taskId, agentId, !!opts.redispatch, who);
  return { ...p, kills: [{ agent: agentId, reason: 'killed by wg kill', ...(opts.force ? { force: true } : {}) }] };
}

/**
 * `wg agents kill AGENT [--force]`: kill a running agent and nothing else — the reconciler
 * releases its task (as a death). An agent that is not running: nothing to do.
 */
export function planAgentKill(agentId: string, alive: boolean, force: boolean): Plan<{ killed: boolean }> {
  if (!alive) return noChange({ killed: false });
  return { writes: [], ops: [], kills: [{ agent: agentId, reason: `killed by wg agents kill${force ? ' --force' : ''}`, ...(force ? { force: true } : {}) }], result: { killed: true } };
}

/** After `wg kill AGENT`: release the agent's claim; pause the task unless it should be redispatched. */
export function planKillRelease(graph: Graph, taskId: string, agentId: string, redispatch: boolean, who: Actor): Plan<{ task?: Task }> {
  const task = graph.get(taskId);
  if (!task || !holdsClaim(task, agentId)) return noChange({});
  const next = appendLog(
    release(task, releasedStatus(task.status), { paused: redispatch ? task.paused : true }),
    logEntry(who, `Agent ${agentId} killed by 'wg kill'${redispatch ? '; task released for redispatch' : '; task released and paused (wg resume ' + taskId + ')'}`),
  );
  return { writes: [next], ops: [{ op: 'kill', task_id: taskId, detail: { agent: agentId, redispatch } }], result: { task: next } };
}
