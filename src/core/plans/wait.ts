/**
 * Parking and resuming (SPEC §10). `wg wait ID --until COND`: an agent that must wait (for
 * another task, a time, an answer) parks its task — status `waiting`, the condition stored, its
 * claim released (epoch+1, so the slot frees and the parked agent can write nothing more) — and
 * exits. The service resumes a waiting task once its condition holds: back to open, the
 * checkpoint kept for the next agent's prompt.
 */
import { release } from '../claims.js';
import type { Graph } from '../graph.js';
import { appendLog, checkFence, logEntry, requireTask, type Actor, type Plan } from '../plan.js';
import type { Task } from '../task.js';
import { requireFrom } from '../transitions.js';
import { describeWait, PARKED_PREFIX, readWaitSpec, waitHolds, type WaitInputs, type WaitSpec } from '../wait.js';

export interface WaitResult {
  task: Task;
  /** The agent (or human) that held the task. */
  was: string | undefined;
}

export function planWait(graph: Graph, id: string, spec: WaitSpec, until: string, who: Actor, opts: { checkpoint?: string } = {}): Plan<WaitResult> {
  const task = requireTask(graph, id);
  checkFence(task, who);
  requireFrom('wait', task, 'park it (wg wait needs an in-progress task)');
  const checkpoint = opts.checkpoint?.trim();
  let next = release(task, 'waiting', { wait_condition: spec, ...(checkpoint ? { checkpoint } : {}) });
  if (checkpoint) next = appendLog(next, logEntry(who, `Checkpoint: ${checkpoint}`));
  next = appendLog(next, logEntry(who, `${PARKED_PREFIX}${until.trim()}`));
  return { writes: [next], ops: [{ op: 'wait', task_id: id, detail: { until: until.trim(), was: task.assigned } }], result: { task: next, was: task.assigned } };
}

export interface Resumed {
  id: string;
  condition: string;
}

/**
 * Every waiting task whose condition holds goes back to the queue. A waiting task without a
 * readable condition (parked by hand) is left for a human. `inputs` carries the clock, the
 * messages that arrived for each waiting task since it parked, and the watched files' mtimes.
 * `waitingIds`: the waiting tasks when the caller keeps them indexed (the service); absent, a
 * pass over every task.
 */
export function planResumeWaiting(graph: Graph, inputs: WaitInputs, who: Actor, waitingIds?: Iterable<string>): Plan<{ resumed: Resumed[] }> {
  const writes: Task[] = [];
  const resumed: Resumed[] = [];
  for (const id of waitingIds ?? graph.tasks.keys()) {
    if (graph.peek(id)?.status !== 'waiting') continue;
    const task = graph.get(id)!;
    const spec = readWaitSpec(task.wait_condition);
    if (!spec || !waitHolds(spec, task, graph, inputs)) continue;
    const condition = describeWait(spec);
    writes.push(appendLog(release(task, 'open', { wait_condition: undefined }), logEntry(who, `Wait condition met (${condition}): task resumed`)));
    resumed.push({ id: task.id, condition });
  }
  return { writes, ops: resumed.map((r) => ({ op: 'wait_resume', task_id: r.id, detail: { condition: r.condition } })), result: { resumed } };
}

/** The waiting tasks and what each waits for (`wg status`, `wg service status`). */
export function waitingTasks(graph: Graph): Array<{ task: Task; spec: WaitSpec | undefined }> {
  const out: Array<{ task: Task; spec: WaitSpec | undefined }> = [];
  for (const row of graph.tasks.values()) {
    if (row.status !== 'waiting') continue;
    const task = graph.get(row.id)!;
    out.push({ task, spec: readWaitSpec(task.wait_condition) });
  }
  return out;
}
