/**
 * Long work (SPEC §10). `wg checkpoint ID "summary"` saves where the work stands on the task
 * (`checkpoint`, the Rust tool's field) so the next attempt — after a kill, a retry, a resume
 * from `waiting` — starts from it instead of from zero. `wg incomplete ID --reason R`: not a
 * failure, the work needs another pass; the claim is released, the attempt counts toward
 * `max_retries`, and past the bound the task fails.
 */
import { release } from '../claims.js';
import { usageError, WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { DEFAULT_MAX_RETRIES } from './agent-death.js';
import { appendLog, checkFence, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';
import { isNoop, isTerminal, requireFrom } from '../transitions.js';

/** A log line shows the first line of a checkpoint, up to this many characters. */
const LOG_PREVIEW = 200;

export function planCheckpoint(graph: Graph, id: string, summary: string, who: Actor, opts: { files?: string[] } = {}): Plan<{ task: Task }> {
  const text = summary.trim();
  if (!text) throw usageError('empty checkpoint summary', 'say what is done and what is next: wg checkpoint ID "parsed A and B; next: C"');
  const task = requireTask(graph, id);
  checkFence(task, who);
  if (isTerminal(task.status)) {
    throw new WgError('invalid_transition', `task '${id}' is ${task.status} — a checkpoint is for work in progress`, { hint: `see 'wg show ${id}'` });
  }
  const first = text.split('\n')[0]!;
  const preview = first.length > LOG_PREVIEW ? `${first.slice(0, LOG_PREVIEW)}…` : first;
  const files = opts.files?.length ? ` (files: ${opts.files.join(', ')})` : '';
  const next = appendLog(withFields(task, { checkpoint: text }), logEntry(who, `Checkpoint: ${preview}${files}`));
  return { writes: [next], ops: [{ op: 'checkpoint', task_id: id, detail: { chars: text.length, ...(opts.files?.length ? { files: opts.files } : {}) } }], result: { task: next } };
}

export interface IncompleteResult {
  task: Task;
  already: boolean;
  /** Retries were exhausted: the task failed. */
  failed: boolean;
}

/** How `wg incomplete` starts its log line (the service's stop rule reads it: stop-agents.ts). */
export const INCOMPLETE_PREFIX = 'Task incomplete: ';

export function planIncomplete(graph: Graph, id: string, reason: string | undefined, who: Actor, opts: { maxRetries?: number } = {}): Plan<IncompleteResult> {
  const task = requireTask(graph, id);
  checkFence(task, who);
  if (isNoop('incomplete', task.status)) return noChange({ task, already: true, failed: false });
  requireFrom('incomplete', task, 'mark it incomplete');
  const why = reason?.trim() || 'unspecified';
  const attempts = (task.retry_count ?? 0) + 1;
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  const failed = attempts > max;
  const next = failed
    ? appendLog(
        release(task, 'failed', { retry_count: attempts, failure_reason: `Retries exhausted (${attempts - 1}/${max}); last incomplete: ${why}`, completed_at: formatTimestamp(who.now) }),
        logEntry(who, `${INCOMPLETE_PREFIX}${why} — retries exhausted (${attempts - 1}/${max}), task failed`),
      )
    : appendLog(release(task, 'incomplete', { retry_count: attempts }), logEntry(who, `${INCOMPLETE_PREFIX}${why}`));
  return { writes: [next], ops: [{ op: 'incomplete', task_id: id, detail: { reason: why, retry_count: attempts, failed } }], result: { task: next, already: false, failed } };
}
