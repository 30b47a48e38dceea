/**
 * Wait conditions (`wg wait ID --until …`, SPEC §10): what a parked task waits for, in the Rust
 * tool's on-disk form (`wait_condition: {mode: all|any, conditions: [{type: …}]}`), so a task
 * parked by either tool is resumed by the other. Parsing and evaluation are pure: the caller
 * passes the clock, the messages that arrived and the files' modification times as data.
 *
 * Condition syntax (the Rust tool's, plus `task:ID` for "ID is done" and `timer:` with a
 * timestamp for "a time"): `task:ID[=STATUS]`, `timer:5m` / `timer:2026-03-20T09:00:00Z`,
 * `message` (any message from someone else), `human-input` (a message from a human),
 * `file:PATH` (the file changes). `a,b` = all of them; `a|b` = any of them (not mixed).
 */
import { usageError, WgError } from './errors.js';
import type { Graph } from './graph.js';
import { nearestId } from './ids.js';
import type { Task } from './task.js';
import { formatTimestamp, parseDurationMs, parseTimestamp } from './time.js';
import { isStatus, type Status } from './transitions.js';

export type WaitCondition =
  | { type: 'task-status'; task_id: string; status: Status }
  | { type: 'timer'; resume_after: string }
  | { type: 'human-input' }
  | { type: 'message' }
  | { type: 'file-changed'; path: string; mtime_at_wait: number };

export interface WaitSpec {
  mode: 'all' | 'any';
  conditions: WaitCondition[];
}

const SYNTAX = 'task:ID[=STATUS], timer:DURATION|TIMESTAMP, message, human-input, file:PATH (join with , for all, | for any)';

/** The file paths named by `file:` conditions (the caller stats them and passes the mtimes). */
export function filePathsIn(until: string): string[] {
  return until
    .split(/[,|]/)
    .map((p) => p.trim())
    .filter((p) => p.startsWith('file:'))
    .map((p) => p.slice(5).trim());
}

/**
 * Parses `--until`. `mtimes` holds the current modification time (seconds) of every path of
 * `filePathsIn(until)` that exists. The referenced tasks must exist; a task cannot wait on itself.
 */
export function parseUntil(until: string, graph: Graph, selfId: string, now: Date, mtimes: ReadonlyMap<string, number>): WaitSpec {
  const text = until.trim();
  if (!text) throw usageError('empty --until condition', `use one of: ${SYNTAX}`);
  const all = text.includes(',');
  const any = text.includes('|');
  if (all && any) throw usageError(`cannot mix ',' (all) and '|' (any) in --until '${until}'`, 'use only commas or only pipes');
  const parts = text.split(any ? '|' : ',').map((p) => p.trim());
  return { mode: any ? 'any' : 'all', conditions: parts.map((p) => parseCondition(p, graph, selfId, now, mtimes)) };
}

function parseCondition(s: string, graph: Graph, selfId: string, now: Date, mtimes: ReadonlyMap<string, number>): WaitCondition {
  if (s === 'message') return { type: 'message' };
  if (s === 'human-input') return { type: 'human-input' };
  if (s.startsWith('task:')) {
    const [id = '', status = 'done'] = s.slice(5).split('=', 2).map((x) => x.trim());
    if (!id) throw usageError(`empty task id in condition '${s}'`, 'write task:ID or task:ID=STATUS');
    if (!isStatus(status)) throw usageError(`unknown status '${status}' in condition '${s}'`, 'statuses: open, in-progress, waiting, done, failed, abandoned, …');
    if (id === selfId) throw usageError(`task '${selfId}' cannot wait on itself`);
    if (!graph.has(id)) {
      const near = nearestId(id, graph.tasks.keys());
      throw new WgError('not_found', `task '${id}' named in the condition does not exist`, { hint: near ? `did you mean '${near}'?` : "run 'wg list' to see task ids" });
    }
    return { type: 'task-status', task_id: id, status };
  }
  if (s.startsWith('timer:')) {
    const v = s.slice(6).trim();
    const ms = parseDurationMs(v);
    if (ms !== undefined) return { type: 'timer', resume_after: formatTimestamp(new Date(now.getTime() + ms)) };
    const at = parseTimestamp(v);
    if (at) return { type: 'timer', resume_after: formatTimestamp(at) };
    throw usageError(`invalid timer '${v}' in condition '${s}'`, 'use a duration (30s, 5m, 2h) or an RFC 3339 timestamp (2026-03-20T09:00:00Z)');
  }
  if (s.startsWith('file:')) {
    const path = s.slice(5).trim();
    if (!path) throw usageError(`empty path in condition '${s}'`);
    return { type: 'file-changed', path, mtime_at_wait: mtimes.get(path) ?? 0 };
  }
  throw usageError(`unknown wait condition '${s}'`, `use one of: ${SYNTAX}`);
}

/** Reads a stored `wait_condition` (ours or the Rust tool's); undefined when it is not one. */
export function readWaitSpec(raw: unknown): WaitSpec | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as { mode?: unknown; conditions?: unknown };
  if ((r.mode !== 'all' && r.mode !== 'any') || !Array.isArray(r.conditions)) return undefined;
  const conditions = r.conditions.filter((c): c is WaitCondition => !!c && typeof c === 'object' && typeof (c as { type?: unknown }).type === 'string');
  return { mode: r.mode, conditions };
}

/** What arrived for one waiting task since it parked. */
export interface ArrivedMessages {
  /** A message from anyone but the agent that parked the task. */
  any: boolean;
  /** …from a human (a sender that is not an agent or the service). */
  human: boolean;
}

export interface WaitInputs {
  now: Date;
  messages: ReadonlyMap<string, ArrivedMessages>;
  /** Current modification times (seconds) of the paths `file-changed` conditions watch. */
  mtimes: ReadonlyMap<string, number>;
}

export function conditionHolds(c: WaitCondition, task: Task, graph: Graph, inputs: WaitInputs): boolean {
  switch (c.type) {
    case 'task-status':
      return graph.get(c.task_id)?.status === c.status;
    case 'timer': {
      const at = parseTimestamp(c.resume_after);
      return !!at && at.getTime() <= inputs.now.getTime();
    }
    case 'message':
      return !!inputs.messages.get(task.id)?.any;
    case 'human-input':
      return !!inputs.messages.get(task.id)?.human;
    case 'file-changed': {
      const m = inputs.mtimes.get(c.path);
      return m !== undefined && m !== c.mtime_at_wait;
    }
    default:
      return false;
  }
}

export function waitHolds(spec: WaitSpec, task: Task, graph: Graph, inputs: WaitInputs): boolean {
  if (!spec.conditions.length) return false;
  const hold = spec.conditions.map((c) => conditionHolds(c, task, graph, inputs));
  return spec.mode === 'any' ? hold.some(Boolean) : hold.every(Boolean);
}

export function describeCondition(c: WaitCondition): string {
  switch (c.type) {
    case 'task-status':
      return `task:${c.task_id}=${c.status}`;
    case 'timer':
      return `timer:${c.resume_after}`;
    case 'file-changed':
      return `file:${c.path}`;
    default:
      return c.type;
  }
}

export const describeWait = (spec: WaitSpec): string => spec.conditions.map(describeCondition).join(spec.mode === 'any' ? ' | ' : ', ');

/** The log message `wg wait` writes (the Rust tool's words, so either tool finds the moment). */
export const PARKED_PREFIX = 'Agent parked. Waiting for: ';

/**
 * When the task parked: its last "Agent parked" log entry (ours or the Rust tool's), else when
 * it started. Messages from this moment on count for `message` / `human-input`.
 */
export function parkedAt(task: Task): { at: Date | undefined; by: string | undefined } {
  const log = task.log ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (e.message.startsWith('Agent parked')) return { at: parseTimestamp(e.timestamp), by: e.actor };
  }
  return { at: task.started_at ? parseTimestamp(task.started_at) : undefined, by: undefined };
}

/** When the earliest timer of `spec` still in the future fires (ms), if any: the service wakes then. */
export function nextTimerMs(spec: WaitSpec | undefined, nowMs: number): number | undefined {
  let next: number | undefined;
  for (const c of spec?.conditions ?? []) {
    const ms = c.type === 'timer' ? parseTimestamp(c.resume_after)?.getTime() : undefined;
    if (ms !== undefined && ms > nowMs) next = Math.min(next ?? Infinity, ms);
  }
  return next;
}

/** Does this condition wait for a human (listed by `wg status` / `wg service status`)? */
export const waitsForHuman = (spec: WaitSpec | undefined): boolean => !!spec?.conditions.some((c) => c.type === 'human-input' || c.type === 'message');

/** The tasks named by `task-status` conditions (for the graph views). */
export const waitedTasks = (spec: WaitSpec | undefined): string[] => (spec?.conditions ?? []).flatMap((c) => (c.type === 'task-status' ? [c.task_id] : []));
