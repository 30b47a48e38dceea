import { usageError, WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { nearestId, requireValidTaskId } from '../ids.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type CycleConfig, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';
import { dedupe } from './add.js';
import { assertNoUnconfiguredCycle, graphWith } from './deps.js';

export interface EditInput {
  title?: string;
  description?: string;
  priority?: number;
  model?: string;
  exec?: string;
  addTags?: string[];
  removeTags?: string[];
  addAfter?: string[];
  removeAfter?: string[];
  maxRetries?: number;
  timeout?: string;
  notBefore?: Date | null;
  cycle?: CycleConfig;
  allowPhantom?: boolean;
  /** The verify command ('' removes it). */
  verify?: string;
  /** A validation mode word ('' or none removes the gate). */
  validation?: string;
  maxRejections?: number;
}

/** Edits fields; an edit that changes nothing writes nothing (SPEC §6). */
export function planEdit(graph: Graph, id: string, input: EditInput, who: Actor): Plan<{ task: Task; changed: string[] }> {
  const task = requireTask(graph, id);
  const patch: Partial<Task> = {};
  const changed: string[] = [];
  const set = <K extends keyof Task>(key: K, value: Task[K] | undefined): void => {
    if (JSON.stringify(task[key] ?? null) === JSON.stringify(value ?? null)) return;
    patch[key] = value as Task[K];
    changed.push(String(key));
  };
  if (input.title !== undefined) {
    if (!input.title.trim()) throw usageError('empty title', 'give a non-empty --title');
    set('title', input.title.trim());
  }
  if (input.description !== undefined) set('description', input.description || undefined);
  if (input.priority !== undefined) set('priority', input.priority);
  if (input.model !== undefined) set('model', input.model || undefined);
  if (input.exec !== undefined) {
    set('exec', input.exec || undefined);
    if (input.exec && !task.exec_mode) set('exec_mode', 'shell');
  }
  if (input.maxRetries !== undefined) set('max_retries', input.maxRetries);
  if (input.timeout !== undefined) set('timeout', input.timeout || undefined);
  if (input.notBefore !== undefined) set('not_before', input.notBefore ? formatTimestamp(input.notBefore) : undefined);
  if (input.cycle !== undefined) set('cycle_config', input.cycle);
  if (input.verify !== undefined) set('verify', input.verify.trim() || undefined);
  if (input.validation !== undefined) set('validation', input.validation && input.validation !== 'none' ? input.validation : undefined);
  if (input.maxRejections !== undefined) set('max_rejections', input.maxRejections);
  if (input.addTags?.length || input.removeTags?.length) {
    const tags = dedupe([...(task.tags ?? []), ...(input.addTags ?? [])]).filter((t) => !(input.removeTags ?? []).includes(t));
    set('tags', tags.length ? tags : undefined);
  }

  const writes: Task[] = [];
  let after = task.after ?? [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const dep of input.addAfter ?? []) {
    requireValidTaskId(dep, 'dependency id');
    if (dep === id) throw usageError(`task '${id}' cannot depend on itself`);
    if (!graph.has(dep) && !input.allowPhantom && !graph.archived?.has(dep)) {
      const near = nearestId(dep, graph.tasks.keys());
      throw new WgError('not_found', `dependency '${dep}' does not exist`, { hint: near ? `did you mean '${near}'?` : 'create it first, or pass --allow-phantom' });
    }
    if (!after.includes(dep)) {
      after = [...after, dep];
      added.push(dep);
    }
  }
  for (const dep of input.removeAfter ?? []) {
    if (after.includes(dep)) {
      after = after.filter((a) => a !== dep);
      removed.push(dep);
    }
  }
  // Net effect only: a dependency both added and removed in one edit touches no backlink.
  const original = task.after ?? [];
  added.splice(0, added.length, ...added.filter((d) => after.includes(d)));
  removed.splice(0, removed.length, ...removed.filter((d) => original.includes(d)));
  if (added.length || removed.length) set('after', after.length ? after : undefined);
  for (const dep of added) {
    const d = graph.get(dep);
    if (d && !(d.before ?? []).includes(id)) writes.push(withFields(d, { before: [...(d.before ?? []), id] }));
  }
  for (const dep of removed) {
    const d = graph.get(dep);
    if (d && (d.before ?? []).includes(id)) writes.push(withFields(d, { before: (d.before ?? []).filter((b) => b !== id) }));
  }

  if (!changed.length) return noChange({ task, changed });
  const next = appendLog(withFields(task, patch), logEntry(who, `Edited: ${changed.join(', ')}`));
  writes.unshift(next);
  if (added.length || input.cycle !== undefined) assertNoUnconfiguredCycle(graphWith(graph, writes), id);
  return { writes, ops: [{ op: 'edit', task_id: id, detail: { fields: changed } }], result: { task: next, changed } };
}
