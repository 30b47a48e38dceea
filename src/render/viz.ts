/**
 * The dependency drawing shared by `wg viz` (ASCII in the terminal) and the dependency view of
 * `wg html`'s index (SPEC §6, upstream §6.3): a forest whose roots are the tasks with no visible
 * dependency, each task drawn under the task it depends on. Pure: no disk, no clock (the caller
 * passes `now` for ages).
 *
 * A task with several dependencies (fan-in) is drawn in full once, under the first of them
 * reached; every later occurrence is a one-line reference marked `↑`. Tasks on a dependency
 * cycle with no root outside it are drawn from the first of them in file order.
 */
import type { Graph } from '../core/graph.js';
import { isSystemId, type Task } from '../core/task.js';
import { formatAge, parseTimestamp } from '../core/time.js';
import { isTerminal, SATISFYING_STATUSES } from '../core/transitions.js';
import { oneLine } from './escape.js';

export interface VizScope {
  /** Include system (dot) tasks. */
  includeSystem: boolean;
  /**
   * Include everything finished. Without it (the Rust tool's default), abandoned tasks are
   * hidden, and so is every connected group of tasks that holds nothing unfinished.
   */
  includeFinished: boolean;
}

export interface VizRow {
  task: Task;
  depth: number;
  /** The tree drawing before the id: `│  ├→ `. */
  prefix: string;
  /** True for a second (third…) occurrence of a fan-in task: drawn in full elsewhere. */
  repeat: boolean;
  /** Hidden system tasks about this one, as upstream shows them: `[⊞ assigning]`, `[∴ evaluating]`. */
  annotations: string[];
}

export interface VizLayout {
  rows: VizRow[];
  /** How many tasks the scope left out, by reason. */
  hidden: { system: number; finished: number };
}

/** Finished for the tree: done or abandoned (a failed task still needs someone). */
const FINISHED = SATISFYING_STATUSES;

/** `.assign-X` → X is being assigned, `.evaluate-X`/`.flip-X` → evaluated, `.verify-X` → validated. */
const SYSTEM_ANNOTATIONS: Array<[RegExp, string]> = [
  [/^\.assign-(.+)$/, '[⊞ assigning]'],
  [/^\.(?:evaluate|flip)-(.+)$/, '[∴ evaluating]'],
  [/^\.verify-(?:deferred-)?(.+)$/, '[∴ validating]'],
];

export function vizLayout(graph: Graph, scope: VizScope): VizLayout {
  const all = graph.all();
  const order = new Map(all.map((t, i) => [t.id, i]));
  let visible = all.filter((t) => scope.includeSystem || !isSystemId(t.id));
  const hiddenSystem = all.length - visible.length;
  let hiddenFinished = 0;
  if (!scope.includeFinished) {
    const kept = unfinishedComponents(graph, visible);
    const before = visible.length;
    visible = visible.filter((t) => kept.has(t.id) && t.status !== 'abandoned');
    hiddenFinished = before - visible.length;
  }
  const shown = new Set(visible.map((t) => t.id));

  const annotations = new Map<string, string[]>();
  if (!scope.includeSystem) {
    for (const t of all) {
      if (!isSystemId(t.id) || isTerminal(t.status)) continue;
      for (const [re, label] of SYSTEM_ANNOTATIONS) {
        const parent = re.exec(t.id)?.[1];
        if (parent !== undefined && shown.has(parent)) {
          const list = annotations.get(parent) ?? [];
          if (!list.includes(label)) list.push(label);
          annotations.set(parent, list);
          break;
        }
      }
    }
  }

  const parentsOf = (t: Task): string[] => (t.after ?? []).filter((id) => id !== t.id && shown.has(id));
  const childrenOf = (id: string): string[] =>
    graph
      .dependents(id)
      .filter((c) => c !== id && shown.has(c))
      .sort();
  const createdKey = (t: Task): number => parseTimestamp(t.created_at ?? '')?.getTime() ?? Number.POSITIVE_INFINITY;
  const roots = visible
    .filter((t) => parentsOf(t).length === 0)
    .sort((a, b) => createdKey(a) - createdKey(b) || order.get(a.id)! - order.get(b.id)!);

  const rows: VizRow[] = [];
  const drawn = new Set<string>();
  // Iterative depth-first walk (a 10 000-task chain must not overflow the stack).
  type Frame = { id: string; depth: number; prefix: string; last: boolean; isRoot: boolean };
  const walk = (root: Task): void => {
    const stack: Frame[] = [{ id: root.id, depth: 0, prefix: '', last: true, isRoot: true }];
    while (stack.length) {
      const f = stack.pop()!;
      const task = graph.get(f.id)!;
      const repeat = drawn.has(f.id);
      rows.push({
        task,
        depth: f.depth,
        prefix: f.isRoot ? '' : `${f.prefix}${f.last ? '└→ ' : '├→ '}`,
        repeat,
        annotations: annotations.get(f.id) ?? [],
      });
      if (repeat) continue;
      drawn.add(f.id);
      const kids = childrenOf(f.id);
      const childPrefix = f.isRoot ? '' : `${f.prefix}${f.last ? '   ' : '│  '}`;
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push({ id: kids[i]!, depth: f.depth + 1, prefix: childPrefix, last: i === kids.length - 1, isRoot: false });
      }
    }
  };
  for (const r of roots) if (!drawn.has(r.id)) walk(r);
  // What is left sits on a cycle with no way in from a root.
  for (const t of visible) if (!drawn.has(t.id)) walk(t);
  return { rows, hidden: { system: hiddenSystem, finished: hiddenFinished } };
}

/** Ids of the weakly connected groups (over `after`) that hold at least one unfinished task. */
function unfinishedComponents(graph: Graph, tasks: Task[]): Set<string> {
  const ids = new Set(tasks.map((t) => t.id));
  const seen = new Set<string>();
  const kept = new Set<string>();
  for (const start of tasks) {
    if (seen.has(start.id)) continue;
    const group: string[] = [start.id];
    seen.add(start.id);
    let live = false;
    for (let i = 0; i < group.length; i++) {
      const t = graph.get(group[i]!)!;
      if (!FINISHED.has(t.status)) live = true;
      for (const n of [...(t.after ?? []), ...graph.dependents(t.id)]) {
        if (ids.has(n) && !seen.has(n)) {
          seen.add(n);
          group.push(n);
        }
      }
    }
    if (live) for (const id of group) kept.add(id);
  }
  return kept;
}

/** Age as upstream shows it: since started (in progress), completed (done), else created. */
export function taskAgeMs(task: Task, now: Date): number | undefined {
  const at = task.status === 'in-progress' ? (task.started_at ?? task.created_at) : task.status === 'done' ? (task.completed_at ?? task.created_at) : task.created_at;
  const d = at ? parseTimestamp(at) : undefined;
  return d ? now.getTime() - d.getTime() : undefined;
}

/** `(status · assignee)` — the part of a node line after the id. */
export function nodeStatusLabel(task: Task): string {
  return `(${task.status}${task.assigned ? ` · ${task.assigned}` : ''})`;
}

const ANSI: Record<string, string> = {
  done: '32',
  'in-progress': '33',
  failed: '31',
  'failed-pending-eval': '31',
  abandoned: '2',
  blocked: '35',
  waiting: '35',
  'pending-validation': '36',
  'pending-eval': '36',
  incomplete: '33',
};
const paint = (on: boolean, code: string | undefined, s: string): string => (on && code ? `\x1b[${code}m${s}\x1b[0m` : s);

/**
 * The terminal drawing: one line per node,
 * `<tree>[‖ ]<id>  (<status>[ · <assignee>])[ <age>][ annotations]`, a repeat as `<id>  ↑`.
 */
export function renderVizText(layout: VizLayout, opts: { now: Date; color: boolean }): string[] {
  const out: string[] = [];
  for (const r of layout.rows) {
    const t = r.task;
    const tree = paint(opts.color, '2', r.prefix);
    const id = `${t.paused ? '‖ ' : ''}${oneLine(t.id)}`;
    if (r.repeat) {
      out.push(`${tree}${id}  ${paint(opts.color, '2', '↑ (drawn above)')}`);
      continue;
    }
    const age = taskAgeMs(t, opts.now);
    const parts = [`${tree}${paint(opts.color, '1', id)}  ${paint(opts.color, ANSI[t.status], oneLine(nodeStatusLabel(t)))}`];
    if (age !== undefined) parts.push(formatAge(age));
    parts.push(...r.annotations.map(oneLine));
    out.push(parts.join(' '));
  }
  const notes: string[] = [];
  const count = (n: number, what: string): string => `${n} ${what} ${n === 1 ? 'task' : 'tasks'}`;
  if (layout.hidden.finished) notes.push(count(layout.hidden.finished, 'finished'));
  if (layout.hidden.system) notes.push(count(layout.hidden.system, 'system'));
  if (!layout.rows.length) out.push(notes.length ? 'Nothing unfinished.' : 'No tasks.');
  if (notes.length) out.push(paint(opts.color, '2', `(${notes.join(', ')} hidden; --all shows them)`));
  return out;
}
