/**
 * graph.jsonl, line by line: the full, validated parse (SPEC §1 rule 6). Every line is kept as
 * its raw text; the store (store.ts, patchLines) rewrites only the lines of tasks that changed
 * and appends new ones, so a one-task change is a one-line diff, and lines this tool does not
 * understand (other kinds, newer fields, comments) survive untouched.
 */
// Named imports, not the `z` namespace, so esbuild keeps only the zod code used here (see the
// zod-star-import note in scripts/build.mjs: the shared chunk went from 697 KB to 154 KB).
import { array, boolean, compile, enum as zEnum, int, literal, looseObject, minLength, nonnegative, optional, string } from 'zod/mini';
import { WgError } from '../core/errors.js';
import { readTaskRecord, STATUSES, type Task } from '../core/task.js';
import { MAX_JSON_DEPTH, nestedTooDeeply } from './json-depth.js';
import { describeIssue, valueAt } from './validation.js';

export interface GraphLine {
  raw: string;
  /** Node id for task/resource/unknown-kind lines; undefined for blank and `#` lines. */
  id?: string;
  /** The task of this line — absent on a line a later line with the same id overrides. */
  task?: Task;
}

/** An id on more than one line: the last line wins (as in the Rust tool); writes to it refuse. */
export interface DuplicateId {
  id: string;
  /** 1-based line numbers, in file order; the last one is the line in effect. */
  lines: number[];
}

export interface GraphFile {
  lines: GraphLine[];
  tasks: Task[];
  /** Ids of every node (tasks and other kinds), for collision checks. */
  ids: Set<string>;
  duplicates: DuplicateId[];
}
const count = int().check(nonnegative());
const str = optional(string());
const strings = optional(array(string()));
const logEntrySchema = looseObject({ timestamp: string(), message: string(), actor: str, user: str });

/**
 * Validation of a task line at the boundary, after readTaskRecord (core/task-line.ts) gave it
 * the Rust tool's meaning (defaults, legacy values, aliases, nulls). Unknown fields pass.
 */
export const taskLineSchema = looseObject({
  kind: optional(literal('task')),
  id: string().check(minLength(1)),
  title: string(),
  description: str,
  status: zEnum(STATUSES),
  priority: int(),
  assigned: str,
  before: strings,
  after: strings,
  blocked_by: strings,
  blocks: strings,
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
  log: optional(array(logEntrySchema)),
  retry_count: optional(count),
  max_retries: optional(count),
  failure_reason: str,
  failure_class: str,
  paused: optional(boolean()),
  cycle_config: optional(looseObject({ max_iterations: count })),
  loop_iteration: optional(count),
  dispatch_count: optional(count),
  claim_epoch: optional(count),
  visibility: str,
});

/**
 * The same schema, AOT-compiled by zod (`compile`): a generated straight-line validator runs
 * first and, on any input it rejects, zod falls back to the runtime parser above — so every line
 * is still validated by this schema and a bad line gets the very same issue. Compiled lazily on
 * the first task line (codegen, ~10 ms, is paid only when there is a task line). Measured (CPU,
 * best of 2) for parseGraph: 100k tasks 1230–1320 ms → 1020–1060 ms; 1k cold 41 → 27 ms.
 */
let compiledTaskLine: typeof taskLineSchema | undefined;
const taskLine = (): typeof taskLineSchema => (compiledTaskLine ??= compile(taskLineSchema));

const TOO_DEEP = `nested too deeply (more than ${MAX_JSON_DEPTH} levels of arrays and objects)`;

function corrupt(fileLabel: string, lineNo: number, what: string): WgError {
  return new WgError('corrupt_graph', `${fileLabel}:${lineNo}: ${what}`, {
    hint: "fix or remove that line (nothing was written); 'git diff .wg/graph.jsonl' may show what changed",
  });
}

/** One task record through the schema (the same check parseGraph applies to every line). */
function validateTask(rec: Record<string, unknown>, fileLabel: string, lineNo: number, compiled = true): Task {
  // The object itself, not zod's output: zod would reorder the keys (and a rewritten line keeps
  // its key order, and its log entries theirs).
  const task = readTaskRecord(rec);
  const parsed = (compiled ? taskLine() : taskLineSchema).safeParse(task);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(fileLabel, lineNo, describeIssue(issue, valueAt(task, issue.path)));
  }
  return task;
}

/**
 * One task line (already known to be a valid task line: from a matching graph index).
 * `compiled` = false validates with the interpreted schema: for a command that parses one or
 * two lines (`wg show`), compiling the validator cost more (~20 ms) than it saved.
 */
export function parseTaskLine(raw: string, lineNo: number, fileLabel = 'graph.jsonl', compiled = true): Task {
  return validateTask(parseObjectLine(raw, fileLabel, lineNo), fileLabel, lineNo, compiled);
}

/** A line that must be one JSON object (not nested too deeply): the object, or corrupt_graph naming the line. */
function parseObjectLine(raw: string, fileLabel: string, lineNo: number): Record<string, unknown> {
  if (nestedTooDeeply(raw)) throw corrupt(fileLabel, lineNo, TOO_DEEP);
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    throw corrupt(fileLabel, lineNo, `invalid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw corrupt(fileLabel, lineNo, 'not a JSON object');
  return obj as Record<string, unknown>;
}

/** Line `i` (0-based) parsed whole; it must be the task the index says is there. */
export function wholeTask(text: string, i: number, id: string, compiled = true): Task {
  const t = parseTaskLine(text, i + 1, 'graph.jsonl', compiled);
  if (t.id !== id) throw new WgError('corrupt_graph', `graph.jsonl:${i + 1}: expected task '${id}' on this line (the file changed behind wg's back)`, { hint: 'run the command again' });
  return t;
}

/**
 * `keep`: what is kept of each validated task (the whole task by default). A reader that keeps
 * only rows (store.ts loadState: the graph index) passes `toRow`, so each whole task — its log,
 * description… — is garbage as soon as its line is validated, instead of all 10k of them living
 * until the end of the parse: `wg serve` loading a 10k-task graph without an index peaked at
 * ~100 MiB RSS, mostly these whole tasks.
 */
export function parseGraph(text: string, fileLabel = 'graph.jsonl', keep: (task: Task) => Task = (t) => t): GraphFile {
  const rawLines = text.split('\n');
  if (rawLines.length && rawLines[rawLines.length - 1] === '') rawLines.pop();
  const lines: GraphLine[] = [];
  const tasks: Task[] = [];
  const ids = new Set<string>();
  /** Index in `lines` of the line in effect for each id, and every line number holding it. */
  const seen = new Map<string, { at: number; lines: number[] }>();
  const duplicates: DuplicateId[] = [];
  for (let i = 0; i < rawLines.length; i++) {
    const raw = rawLines[i]!;
    const lineNo = i + 1;
    // A line starting with '{' is neither blank nor a comment: skip the trim (a copy) for it.
    if (raw.charCodeAt(0) !== 123) {
      const trimmed = raw.trim();
      if (trimmed === '' || trimmed.startsWith('#')) {
        lines.push({ raw });
        continue;
      }
    }
    const rec = parseObjectLine(raw, fileLabel, lineNo);
    if (typeof rec.id !== 'string' || rec.id === '') throw corrupt(fileLabel, lineNo, 'missing "id"');
    const id = rec.id;
    ids.add(id);
    const kind = rec.kind ?? 'task';
    // Legacy actor nodes are skipped by the Rust tool: outside the id space of tasks/resources.
    if (kind !== 'actor') {
      // As the Rust tool: a repeated id overrides the earlier line (the caller warns).
      const prev = seen.get(id);
      if (prev) {
        if (prev.lines.length === 1) duplicates.push({ id, lines: prev.lines });
        prev.lines.push(lineNo);
        delete lines[prev.at]!.task;
        prev.at = lines.length;
      } else seen.set(id, { at: lines.length, lines: [lineNo] });
    }
    if (kind !== 'task') {
      // resource nodes and kinds from newer tools: kept byte-for-byte, not interpreted.
      lines.push({ raw, id });
      continue;
    }
    const task = keep(validateTask(rec, fileLabel, lineNo));
    lines.push({ raw, id, task });
  }
  for (const l of lines) if (l.task) tasks.push(l.task);
  return { lines, tasks, ids, duplicates };
}

/** The warning a read prints for each repeated id (writes to it refuse: `duplicateIdError`). */
export const duplicateIdWarning = (d: DuplicateId): string =>
  `graph.jsonl:${d.lines.at(-1)}: duplicate id '${d.id}' (also on line ${d.lines.slice(0, -1).join(', ')}): the last line is used, as the Rust tool does — remove the line you do not want`;

export function duplicateIdError(d: DuplicateId): WgError {
  const [first, last] = [d.lines[0]!, d.lines.at(-1)!];
  return new WgError('corrupt_graph', `task '${d.id}' is defined on lines ${d.lines.join(' and ')} of graph.jsonl — refusing to write it`, {
    hint: `keep one of them: delete line ${first} (the Rust tool and wg read line ${last}) or line ${last}, then run the command again`,
  });
}
