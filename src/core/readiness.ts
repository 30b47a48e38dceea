/**
 * Readiness — the one definition (SPEC §2). `ready`, `status`, `claim`, `claim --next`,
 * `why-blocked` and the dispatcher all call `readiness()`; nothing else decides it.
 */
import { edgeKey, type Graph } from './graph.js';
import { companionId } from './claims.js';
import { parseTimestamp } from './time.js';
import { isSystemId, type Task } from './task.js';
import { isTerminal, READY_STATUSES, SATISFYING_STATUSES, SATISFYING_STATUSES_SYSTEM, type Status } from './transitions.js';

export type Blocker =
  | { kind: 'status'; status: Status }
  | { kind: 'paused' }
  | { kind: 'not-before'; until: string }
  | { kind: 'ready-after'; until: string }
  | { kind: 'bad-timestamp'; field: 'not_before' | 'ready_after'; value: string }
  /** A cron task of the Rust tool (`cron_enabled`) waits for its `next_cron_fire`. */
  | { kind: 'cron'; until: string }
  /** Defined on more than one line of graph.jsonl: nothing starts it until one line is removed. */
  | { kind: 'duplicate-id'; lines: readonly number[] }
  | { kind: 'dependency'; id: string; status: Status | 'missing' }
  | { kind: 'evaluation'; id: string; evalId: string; status: Status }
  | { kind: 'cycle'; members: string[] }
  /** Only in root causes: a dependency that is ready but nobody has started. */
  | { kind: 'not-started' };

export interface Readiness {
  ready: boolean;
  blockers: Blocker[];
}

/**
 * Is dependency `depId` of `dependent` satisfied? Done/abandoned (dot tasks also accept
 * pending-eval), or archived (`wg archive` moves only done/abandoned tasks out of the graph).
 */
export function dependencyMet(graph: Graph, dependent: Task, depId: string): boolean {
  const dep = graph.peek(depId);
  if (!dep) return graph.archived?.has(depId) === true;
  return dependencySatisfied(dependent, dep);
}

/** Is `dep` satisfied for `dependent`? (done/abandoned; dot tasks also accept pending-eval.) */
export function dependencySatisfied(dependent: Task, dep: Task | undefined): boolean {
  if (!dep) return false;
  return (isSystemId(dependent.id) ? SATISFYING_STATUSES_SYSTEM : SATISFYING_STATUSES).has(dep.status);
}

/**
 * When the time gates of `task` (not_before, ready_after) have both passed, in ms; undefined
 * when it has none (or an unreadable one, which blocks until fixed). A holder of the graph
 * wakes at this time instead of polling.
 */
export function gateOpensMs(task: Task): number | undefined {
  let at: number | undefined;
  for (const v of [task.not_before, task.ready_after]) {
    if (!v) continue;
    const d = parseTimestamp(v);
    if (!d) return undefined;
    at = Math.max(at ?? -Infinity, d.getTime());
  }
  return at;
}

function timeGate(task: Task, field: 'not_before' | 'ready_after', now: Date, out: Blocker[]): void {
  const v = task[field];
  if (!v) return;
  const d = parseTimestamp(v);
  // An unreadable gate blocks visibly (why-blocked names it) instead of being ignored.
  if (!d) out.push({ kind: 'bad-timestamp', field, value: v });
  else if (d.getTime() > now.getTime()) out.push(field === 'not_before' ? { kind: 'not-before', until: v } : { kind: 'ready-after', until: v });
}

/**
 * The Rust tool's cron gate (docs/rust-compat.md §6): a task with `cron_enabled` and a readable
 * `next_cron_fire` still in the future waits until then. wg evaluates no cron schedule itself:
 * the Rust tool sets `next_cron_fire` when it re-opens the task.
 */
function cronGate(task: Task, now: Date, out: Blocker[]): void {
  if (task.cron_enabled !== true || typeof task.next_cron_fire !== 'string') return;
  const d = parseTimestamp(task.next_cron_fire);
  if (d && d.getTime() > now.getTime()) out.push({ kind: 'cron', until: task.next_cron_fire });
}

/**
 * All reasons a task is not ready (empty = ready). `full` = false stops at the first blocker,
 * which is what the hot paths (`ready`, dispatch) need.
 */
export function readiness(graph: Graph, task: Task, now: Date, full = true): Readiness {
  const blockers: Blocker[] = [];
  const done = (): boolean => !full && blockers.length > 0;
  if (!READY_STATUSES.has(task.status)) blockers.push({ kind: 'status', status: task.status });
  if (done()) return { ready: false, blockers };
  const dup = graph.duplicates.get(task.id);
  if (dup) blockers.push({ kind: 'duplicate-id', lines: dup });
  if (done()) return { ready: false, blockers };
  if (task.paused) blockers.push({ kind: 'paused' });
  if (done()) return { ready: false, blockers };
  timeGate(task, 'not_before', now, blockers);
  timeGate(task, 'ready_after', now, blockers);
  cronGate(task, now, blockers);
  if (done()) return { ready: false, blockers };
  const after = task.after;
  if (after && after.length) {
    let cycles: ReturnType<Graph['cycleAnalysis']> | undefined;
    const system = isSystemId(task.id);
    for (const depId of after) {
      const dep = graph.peek(depId);
      if (!dep && graph.archived?.has(depId)) continue;
      if (!dependencySatisfied(task, dep)) {
        cycles ??= graph.cycleAnalysis();
        if (dep && cycles.backEdges.has(edgeKey(task.id, depId))) continue;
        const cycle = cycles.cycleOf.get(task.id);
        if (dep && cycle && !cycle.configOwner && cycle.members.includes(depId)) {
          if (!blockers.some((b) => b.kind === 'cycle')) blockers.push({ kind: 'cycle', members: cycle.members });
        } else {
          blockers.push({ kind: 'dependency', id: depId, status: dep ? dep.status : 'missing' });
        }
        if (done()) return { ready: false, blockers };
        continue;
      }
      // Eval gate: a done dependency still blocks a normal task while its evaluation runs.
      if (!system && !isSystemId(depId)) {
        const evalTask = graph.peek(companionId('evaluate', depId));
        if (evalTask && !isTerminal(evalTask.status)) {
          blockers.push({ kind: 'evaluation', id: depId, evalId: evalTask.id, status: evalTask.status });
          if (done()) return { ready: false, blockers };
        }
      }
    }
  }
  return { ready: blockers.length === 0, blockers };
}

export const isReady = (graph: Graph, task: Task, now: Date): boolean => readiness(graph, task, now, false).ready;

/** Ready tasks in file order. */
export function readyTasks(graph: Graph, now: Date): Task[] {
  const out: Task[] = [];
  for (const t of graph.tasks.values()) if (isReady(graph, t, now)) out.push(t);
  return out;
}

/**
 * Dispatch order: higher priority first, then fewer previous spawns, then file order
 * (`claim --next` and the dispatcher share it).
 */
export function byDispatchOrder(tasks: readonly Task[]): Task[] {
  return tasks
    .map((t, i) => ({ t, i }))
    .sort((a, b) => dispatchCompare(a.t, b.t) || a.i - b.i)
    .map((x) => x.t);
}

/** Dispatch order without the file-order tie-break (negative: `a` goes first). */
const dispatchCompare = (a: Task, b: Task): number => b.priority - a.priority || (a.dispatch_count ?? 0) - (b.dispatch_count ?? 0);

/** Does `a` (at file position `pa`) go before `b` (at `pb`) in dispatch order? */
export const dispatchBefore = (a: Task, pa: number, b: Task, pb: number): boolean => {
  const c = dispatchCompare(a, b);
  return c < 0 || (c === 0 && pa < pb);
};

/**
 * The first `k` of `tasks` in dispatch order, file order given by `position` (the tasks may come
 * in any order): byDispatchOrder(sorted by position).slice(0, k) in O(n·log k) without sorting
 * all n — `claim --next` on a large ready set wants a handful.
 */
export function firstInDispatchOrder(tasks: Iterable<Task>, k: number, position: (id: string) => number): Task[] {
  const out: Array<{ t: Task; p: number }> = [];
  const before = (a: { t: Task; p: number }, b: { t: Task; p: number }): boolean => dispatchBefore(a.t, a.p, b.t, b.p);
  if (k <= 0) return [];
  for (const t of tasks) {
    const x = { t, p: position(t.id) };
    if (out.length === k && !before(x, out[k - 1]!)) continue;
    // Binary search for the slot, then insert (k is small).
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(x, out[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    out.splice(lo, 0, x);
    if (out.length > k) out.pop();
  }
  return out.map((x) => x.t);
}

export function describeBlocker(b: Blocker): string {
  switch (b.kind) {
    case 'status':
      return `status is ${b.status}`;
    case 'paused':
      return 'paused (wg resume)';
    case 'not-before':
      return `not before ${b.until}`;
    case 'ready-after':
      return `cooling down until ${b.until}`;
    case 'bad-timestamp':
      return `unreadable ${b.field} '${b.value}' (fix with wg edit)`;
    case 'cron':
      return `cron task: next run at ${b.until}`;
    case 'duplicate-id':
      return `defined on lines ${b.lines.join(' and ')} of graph.jsonl (remove one)`;
    case 'dependency':
      return b.status === 'missing' ? `${b.id} (missing)` : `${b.id} (${b.status})`;
    case 'evaluation':
      return `${b.id} is being evaluated (${b.evalId}: ${b.status})`;
    case 'cycle':
      return `cycle without cycle_config: ${b.members.join(' → ')}`;
    case 'not-started':
      return 'ready, not started yet (wg claim it, or let the service run it)';
  }
}
