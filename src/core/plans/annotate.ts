import { usageError } from '../errors.js';
import type { Graph } from '../graph.js';
import { appendLog, checkFence, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type Task } from '../task.js';

export function planLog(graph: Graph, id: string, message: string, who: Actor): Plan<{ task: Task }> {
  if (!message.trim()) throw usageError('empty log message', `write something: wg log ${id} "what happened"`);
  const task = requireTask(graph, id);
  checkFence(task, who);
  const next = appendLog(task, logEntry(who, message));
  return { writes: [next], ops: [{ op: 'log', task_id: id, detail: { message: message.length > 500 ? `${message.slice(0, 499)}…` : message } }], result: { task: next } };
}

export function planArtifact(graph: Graph, id: string, path: string, who: Actor, opts: { remove?: boolean } = {}): Plan<{ task: Task; changed: boolean }> {
  if (!path.trim()) throw usageError('empty artifact path');
  const task = requireTask(graph, id);
  checkFence(task, who);
  const artifacts = task.artifacts ?? [];
  const has = artifacts.includes(path);
  if (opts.remove ? !has : has) return noChange({ task, changed: false });
  const next = appendLog(
    withFields(task, { artifacts: opts.remove ? artifacts.filter((a) => a !== path) : [...artifacts, path] }),
    logEntry(who, opts.remove ? `Artifact removed: ${path}` : `Artifact recorded: ${path}`),
  );
  return { writes: [next], ops: [{ op: opts.remove ? 'artifact_rm' : 'artifact_add', task_id: id, detail: { path } }], result: { task: next, changed: true } };
}

export function planPause(graph: Graph, id: string, who: Actor, paused: boolean): Plan<{ task: Task; changed: boolean }> {
  const task = requireTask(graph, id);
  if (!!task.paused === paused) return noChange({ task, changed: false });
  const next = appendLog(withFields(task, { paused: paused || undefined }), logEntry(who, paused ? 'Task paused' : 'Task resumed'));
  return { writes: [next], ops: [{ op: paused ? 'pause' : 'resume', task_id: id }], result: { task: next, changed: true } };
}
