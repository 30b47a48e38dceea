/**
 * graph.jsonl, line by line. Every line is kept as its raw text: a save rewrites only the lines
 * of tasks that changed and appends new ones, so a one-task change is a one-line diff, and
 * lines this tool does not understand (other kinds, newer fields) survive untouched.
 */
import { z } from 'zod/mini';
import { WgError } from '../core/errors.js';
import { serializeTask, STATUSES, type Task } from '../core/task.js';
import { describeIssue, valueAt } from '../core/validation.js';

export interface GraphLine {
  raw: string;
  /** Node id for task/resource/unknown-kind lines; undefined for blank and `#` lines. */
  id?: string;
  task?: Task;
}

export interface GraphFile {
  lines: GraphLine[];
  tasks: Task[];
  /** Ids of every node (tasks and other kinds), for collision checks. */
  ids: Set<string>;
}

const LEGACY_PRIORITY: Record<string, number> = { critical: 100, high: 50, normal: 10, low: 5, idle: 0 };
const count = z.int().check(z.nonnegative());
const str = z.optional(z.string());
const strings = z.optional(z.array(z.string()));
const logEntrySchema = z.looseObject({ timestamp: z.string(), message: z.string(), actor: str, user: str });

/** Validation of a task line at the boundary; unknown fields pass through untouched. */
export const taskLineSchema = z.looseObject({
  kind: z.optional(z.literal('task')),
  id: z.string().check(z.minLength(1)),
  title: z.string(),
  description: str,
  status: z._default(z.enum(STATUSES), 'open'),
  priority: z._default(z.union([z.int(), z.enum(['critical', 'high', 'normal', 'low', 'idle'])]), 10),
  assigned: str,
  before: strings,
  after: strings,
  tags: strings,
  deliverables: strings,
  artifacts: strings,
  exec: str,
  exec_mode: str,
  model: str,
  agent: str,
  timeout: str,
  not_before: str,
  ready_after: str,
  created_at: str,
  started_at: str,
  completed_at: str,
  log: z.optional(z.array(logEntrySchema)),
  retry_count: z.optional(count),
  max_retries: z.optional(count),
  failure_reason: str,
  failure_class: str,
  paused: z.optional(z.boolean()),
  cycle_config: z.optional(z.looseObject({ max_iterations: count })),
  loop_iteration: z.optional(count),
  dispatch_count: z.optional(count),
  claim_epoch: z.optional(count),
  visibility: str,
});

export function parseGraph(text: string, fileLabel = 'graph.jsonl'): GraphFile {
  const rawLines = text.split('\n');
  if (rawLines.length && rawLines[rawLines.length - 1] === '') rawLines.pop();
  const lines: GraphLine[] = [];
  const tasks: Task[] = [];
  const ids = new Set<string>();
  const firstLine = new Map<string, number>();
  for (let i = 0; i < rawLines.length; i++) {
    const raw = rawLines[i]!;
    const lineNo = i + 1;
    const fail = (what: string): never => {
      throw new WgError('corrupt_graph', `${fileLabel}:${lineNo}: ${what}`, {
        hint: "fix or remove that line (nothing was written); 'git diff .wg/graph.jsonl' may show what changed",
      });
    };
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      lines.push({ raw });
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      fail(`invalid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail('not a JSON object');
    const rec = obj as Record<string, unknown>;
    if (typeof rec.id !== 'string' || rec.id === '') fail('missing "id"');
    const id = rec.id as string;
    const seenAt = firstLine.get(id);
    if (seenAt !== undefined) fail(`duplicate id '${id}' (also on line ${seenAt})`);
    firstLine.set(id, lineNo);
    ids.add(id);
    const kind = rec.kind ?? 'task';
    if (kind !== 'task') {
      // resource nodes and kinds from newer tools: kept byte-for-byte, not interpreted.
      lines.push({ raw, id });
      continue;
    }
    const parsed = taskLineSchema.safeParse(rec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail(describeIssue(issue, valueAt(rec, issue.path)));
    }
    const task = parsed.data as unknown as Task;
    if (typeof task.priority === 'string') task.priority = LEGACY_PRIORITY[task.priority as string] ?? 10;
    if (task.kind === undefined) task.kind = 'task';
    lines.push({ raw, id, task });
    tasks.push(task);
  }
  return { lines, tasks, ids };
}

/**
 * Applies writes to the line list: changed tasks replace their own line, new tasks are
 * appended. Returns the new text, or undefined when no line changed.
 */
export function applyWrites(file: GraphFile, writes: Task[]): string | undefined {
  const index = new Map<string, number>();
  file.lines.forEach((l, i) => {
    if (l.id !== undefined) index.set(l.id, i);
  });
  const lines = file.lines.map((l) => l.raw);
  let changed = false;
  for (const task of writes) {
    const raw = serializeTask(task);
    const at = index.get(task.id);
    if (at === undefined) {
      index.set(task.id, lines.length);
      lines.push(raw);
      changed = true;
    } else if (lines[at] !== raw) {
      lines[at] = raw;
      changed = true;
    }
  }
  return changed ? lines.join('\n') + '\n' : undefined;
}
