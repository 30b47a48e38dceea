/**
 * A task as one line of graph.jsonl, both ways (SPEC §1, docs/rust-compat.md §3).
 *
 * Reading — `readTaskRecord`, the one reading function every store calls on a parsed line, so
 * every rule downstream sees one meaning: `blocked_by` is merged into `after` and `blocks` into
 * `before` (the Rust tool's aliases); `pending-review` is `done`; a missing status is `open`;
 * a priority that is not a whole number reads as the Rust tool reads it (names, else 10); `null`
 * in a field the Rust tool lets be null is an absent field.
 *
 * Writing — `serializeTask(task, previous)`: a rewritten line keeps the key order it had (and
 * the key order of its log entries, which are the parsed objects themselves); keys it did not
 * have go at the end; a dependency list that did not change keeps its spelling (`blocked_by`
 * stays `blocked_by`), one that changed is written as `after` only (the Rust tool refuses a line
 * holding both). New lines use FIELD_ORDER (the Rust struct order). Only values the Rust tool
 * can load are written: `failure_class` is one of its six, or absent (failure-class.ts).
 */
import { rustReadableFailure } from './failure-class.js';
import type { Task } from './task.js';

/**
 * Emission order of known fields for a new line (the Rust struct order, so a line this tool
 * writes looks like one the Rust tool would write). Fields not listed keep their relative order
 * and follow the known ones.
 */
export const FIELD_ORDER = [
  'kind',
  'id',
  'title',
  'description',
  'status',
  'priority',
  'assigned',
  'estimate',
  'before',
  'after',
  'requires',
  'tags',
  'skills',
  'inputs',
  'deliverables',
  'artifacts',
  'exec',
  'timeout',
  'not_before',
  'created_at',
  'started_at',
  'completed_at',
  'last_interaction_at',
  'log',
  'retry_count',
  'max_retries',
  'failure_reason',
  'failure_class',
  'model',
  'agent',
  'loop_iteration',
  'cycle_config',
  'ready_after',
  'paused',
  'visibility',
  'exec_mode',
  'token_usage',
  'dispatch_count',
  'claim_epoch',
] as const;

/** Known fields that are omitted when null/empty/zero/false (SPEC §1). */
const OMIT_WHEN_EMPTY: ReadonlySet<string> = new Set(FIELD_ORDER.filter((f) => !['kind', 'id', 'title', 'status', 'priority'].includes(f)));
/** Optional numbers whose 0 means something (`max_retries: 0` = never re-queue): kept when 0. */
const ZERO_IS_A_VALUE: ReadonlySet<string> = new Set(['max_retries']);
const ORDER_INDEX = new Map<string, number>(FIELD_ORDER.map((f, i) => [f, i]));

/** The Rust tool's aliases: the key read as each dependency field. */
export const DEPENDENCY_ALIASES = { after: 'blocked_by', before: 'blocks' } as const;
type DepField = keyof typeof DEPENDENCY_ALIASES;
const ALIAS_OF: Record<string, DepField> = { blocked_by: 'after', blocks: 'before' };

/** Fields wg models that the Rust tool reads as `Option<…>`: there, `null` means absent. */
const NULLABLE = [
  'description', 'assigned', 'exec', 'timeout', 'not_before', 'created_at', 'started_at', 'completed_at', 'failure_reason', 'model',
  'agent', 'ready_after', 'exec_mode', 'max_retries', 'failure_class', 'cycle_config', 'token_usage',
] as const;

const LEGACY_PRIORITY: Record<string, number> = { critical: 100, high: 50, normal: 10, low: 5, idle: 0 };
export const DEFAULT_PRIORITY = 10;

/**
 * A priority as the Rust tool reads it (it never refuses one): a whole number is kept (beyond
 * 32 bits, its low 32 bits, as the Rust tool truncates); a name (critical 100, high 50, normal
 * 10, low 5, idle 0, any case) is its number; anything else — `"urgent"`, `2.5`, `-1`, null — is 10.
 */
export function rustPriority(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 64) return DEFAULT_PRIORITY;
    return v < 2 ** 32 ? v : v % 2 ** 32;
  }
  if (typeof v === 'string') return LEGACY_PRIORITY[v.toLowerCase()] ?? DEFAULT_PRIORITY;
  return DEFAULT_PRIORITY;
}

/** Whether a stored priority is one the Rust tool (and wg) read as something else (`wg check` warns). */
export const isNonIntegerPriority = (v: unknown): boolean => v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32);

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const union = (a: readonly string[], b: readonly string[]): string[] => [...a, ...b.filter((x, i) => !a.includes(x) && b.indexOf(x) === i)];

/**
 * A parsed task line → the task every rule reads (see the header). Works on the object
 * JSON.parse made (its key order is the line's); returns it, or a copy when keys were renamed.
 * Values of the wrong type are left for the caller's validation to report.
 */
export function readTaskRecord(rec: Record<string, unknown>): Task {
  for (const f of NULLABLE) if (rec[f] === null) delete rec[f];
  if (Array.isArray(rec.log)) for (const e of rec.log) if (e && typeof e === 'object') for (const k of ['actor', 'user']) if ((e as Record<string, unknown>)[k] === null) delete (e as Record<string, unknown>)[k];
  if (rec.status === undefined) rec.status = 'open';
  else if (rec.status === 'pending-review') rec.status = 'done';
  rec.priority = rec.priority === undefined ? DEFAULT_PRIORITY : rustPriority(rec.priority);
  if (rec.kind === undefined) rec.kind = 'task';
  let out = rec;
  for (const [alias, field] of Object.entries(ALIAS_OF)) {
    if (!(alias in out)) continue;
    const a = out[alias];
    const f = out[field] ?? [];
    if (!isStringList(a) || !isStringList(f)) continue; // validation names the bad field
    out = renameKey(out, alias, field, union(f, a));
  }
  return out as Task;
}

/** A copy with `from` removed and `to` = value, at `to`'s place if present, else at `from`'s. */
function renameKey(rec: Record<string, unknown>, from: string, to: string, value: unknown): Record<string, unknown> {
  const hasTo = to in rec;
  // fromEntries defines own properties (an own "__proto__" key stays a plain field).
  return Object.fromEntries(
    Object.keys(rec).flatMap((k): Array<[string, unknown]> => {
      if (k === to) return [[to, value]];
      if (k === from) return hasTo ? [] : [[to, value]];
      return [[k, rec[k]]];
    }),
  );
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

const sameList = (a: unknown, b: readonly string[]): boolean => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

/** What the previous line held for a dependency field: the key it used, and the list it meant. */
function previousDeps(previous: Record<string, unknown>, field: DepField): { key: string; list: string[] } | undefined {
  const alias = DEPENDENCY_ALIASES[field];
  const own = previous[field];
  const aliased = previous[alias];
  if (aliased === undefined) return undefined;
  if (!isStringList(aliased)) return undefined;
  // Both keys (a line an older wg wrote; the Rust tool refuses it): written back as the field alone.
  if (own !== undefined) return { key: field, list: union(isStringList(own) ? own : [], aliased) };
  return { key: alias, list: aliased };
}

/**
 * One JSON line (no newline) for a task. `previous` is the line it replaces, parsed: its key
 * order (and, for unchanged dependencies, its spelling) is kept; without it (a new task) known
 * fields come in FIELD_ORDER, then unknown ones in the object's order.
 */
export function serializeTask(task: Task, previous?: Record<string, unknown>): string {
  // Null prototype: an unknown "__proto__" key (JSON.parse makes it an own field) is then a
  // plain property that is written back, not a prototype change that silently drops it.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const value = rustReadableValues(task);
  /** Keys of `value` already placed (or deliberately left out). */
  const placed = new Set<string>();
  const put = (k: string, as = k): void => {
    if (placed.has(k)) return;
    placed.add(k);
    const v = value[k];
    if (v === undefined || (OMIT_WHEN_EMPTY.has(k) && isEmpty(v) && !(v === 0 && ZERO_IS_A_VALUE.has(k)))) return;
    out[as] = v;
  };
  // `kind` first when the task or its old line lacks it (the Rust tool requires it).
  if (value.kind === undefined) out.kind = 'task';
  if (previous) {
    if (!('kind' in previous)) put('kind');
    // status and priority the old line left to their defaults stay unwritten while they are.
    if (!('status' in previous) && value.status === 'open') placed.add('status');
    if (!('priority' in previous) && value.priority === DEFAULT_PRIORITY) placed.add('priority');
    for (const k of Object.keys(previous)) {
      const field = ALIAS_OF[k] ?? (k === 'after' || k === 'before' ? k : undefined);
      if (!field) {
        put(k);
        continue;
      }
      const was = previousDeps(previous, field);
      put(field, was && sameList(value[field], was.list) ? was.key : field);
    }
  }
  const keys = Object.keys(value);
  for (const k of keys.filter((k) => ORDER_INDEX.has(k)).sort((a, b) => ORDER_INDEX.get(a)! - ORDER_INDEX.get(b)!)) put(k);
  for (const k of keys) if (!ORDER_INDEX.has(k)) put(k);
  return JSON.stringify(out);
}

/**
 * The task with every value the Rust tool could not load replaced by one it can: dependency
 * aliases merged into their field (a task built in memory may still hold them), a failure class
 * outside its six folded into `failure_reason`, a priority that is not a whole number read as 10.
 */
function rustReadableValues(task: Task): Record<string, unknown> {
  let t: Record<string, unknown> = task;
  const copy = (): Record<string, unknown> => (t === task ? (t = Object.assign(Object.create(null) as Record<string, unknown>, task)) : t);
  for (const [alias, field] of Object.entries(ALIAS_OF)) {
    if (task[alias] === undefined) continue;
    const merged = union(isStringList(task[field]) ? (task[field] as string[]) : [], isStringList(task[alias]) ? (task[alias] as string[]) : []);
    const c = copy();
    delete c[alias];
    c[field] = merged;
  }
  const cls = task.failure_class;
  if (typeof cls === 'string' && cls !== '') {
    const fixed = rustReadableFailure(cls, task.failure_reason);
    if (fixed.failure_class !== cls) {
      const c = copy();
      c.failure_class = fixed.failure_class;
      c.failure_reason = fixed.failure_reason;
    }
  }
  if (typeof task.priority !== 'number' || !Number.isInteger(task.priority) || task.priority < 0) copy().priority = rustPriority(task.priority);
  return t;
}
