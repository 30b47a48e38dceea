/**
 * What an agent needs to know about its task beyond the task itself (`wg context`, SPEC §10,
 * and the same sections of the prompt): what its dependencies produced (artifacts, last log
 * lines), where the work stood (checkpoint), why earlier attempts ended (failure, incomplete,
 * rejections), what the tasks waiting for it expect, and the messages it has not read.
 * `wg discover`: what finished recently across the graph. Pure: messages are passed in.
 */
import { rejections, type Rejection } from './gates.js';
import type { Graph } from './graph.js';
import type { Message } from './messages.js';
import { requireTask } from './plan.js';
import { isSystemId, type LogEntry, type Task } from './task.js';
import { parseTimestamp } from './time.js';

export const CONTEXT_LOG_LINES = 5;

export interface DependencyContext {
  id: string;
  title: string;
  status: string;
  artifacts: string[];
  log: LogEntry[];
}

export interface TaskContext {
  id: string;
  title: string;
  status: string;
  dependencies: DependencyContext[];
  /** Tasks that wait for this one (with --dependents): what they expect. */
  dependents?: Array<{ id: string; title: string; status: string; description?: string }>;
  checkpoint?: string;
  /** Why earlier attempts ended: failure reason, incomplete / death entries, rejections. */
  previous: { retry_count: number; failure_reason?: string; entries: LogEntry[]; rejections: Rejection[] };
  unread: Message[];
}

/** Log entries that say how an attempt ended (a failure, a death, a kill, an incomplete pass). */
const ATTEMPT_END = /failed|stale claim|exceeded|killed|^Task incomplete|NOT merged/i;

export function buildContext(graph: Graph, id: string, opts: { unread?: Message[]; dependents?: boolean; logLines?: number } = {}): TaskContext {
  const task = requireTask(graph, id);
  const n = opts.logLines ?? CONTEXT_LOG_LINES;
  const dependencies = (task.after ?? [])
    .map((d) => graph.get(d))
    .filter((d): d is Task => !!d)
    .map((d) => ({ id: d.id, title: d.title, status: d.status, artifacts: d.artifacts ?? [], log: (d.log ?? []).slice(-n) }));
  const ctx: TaskContext = {
    id: task.id,
    title: task.title,
    status: task.status,
    dependencies,
    previous: {
      retry_count: task.retry_count ?? 0,
      ...(task.failure_reason ? { failure_reason: task.failure_reason } : {}),
      entries: (task.log ?? []).filter((e) => ATTEMPT_END.test(e.message)).slice(-n),
      rejections: rejections(task),
    },
    unread: opts.unread ?? [],
  };
  if (typeof task.checkpoint === 'string' && task.checkpoint) ctx.checkpoint = task.checkpoint;
  if (opts.dependents) {
    ctx.dependents = graph
      .dependents(id)
      .map((d) => graph.get(d)!)
      .filter((d) => !isSystemId(d.id))
      .map((d) => ({ id: d.id, title: d.title, status: d.status, ...(d.description ? { description: d.description } : {}) }));
  }
  return ctx;
}

export interface Discovered {
  id: string;
  title: string;
  completed_at: string;
  tags: string[];
  artifacts: string[];
  last_log?: string;
}

/** Log lines wg writes about finishing, not what the work was. */
const BOOKKEEPING = /^(Task (marked as done|approved|pending|claimed|added)|Merged |Verify (passed|skipped)|Branch .* had nothing|Committed the uncommitted|Spawned )/;

/** Tasks completed (done) within `windowMs` before `now`, newest first; system tasks excluded. */
export function discover(graph: Graph, now: Date, windowMs: number): Discovered[] {
  const from = now.getTime() - windowMs;
  const out: Array<Discovered & { ms: number }> = [];
  for (const row of graph.tasks.values()) {
    if (row.status !== 'done' || isSystemId(row.id)) continue;
    const t = graph.get(row.id)!; // completed_at is not in an index row
    const ms = t.completed_at ? parseTimestamp(t.completed_at)?.getTime() : undefined;
    if (ms === undefined || ms < from) continue;
    const last = (t.log ?? []).filter((e) => !BOOKKEEPING.test(e.message)).at(-1)?.message;
    out.push({ id: t.id, title: t.title, completed_at: t.completed_at!, tags: t.tags ?? [], artifacts: t.artifacts ?? [], ...(last ? { last_log: last } : {}), ms });
  }
  return out.sort((a, b) => b.ms - a.ms).map(({ ms: _ms, ...d }) => d);
}
