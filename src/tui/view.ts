/**
 * What `wg tui` draws, as plain data (no React): the filtered task list, the dependency tree,
 * the inspector's lines, the window of a long list around the selection, and the status
 * colours. The ink components (app.ts) only lay these out.
 */
import { STUCK_ORDER, type StuckItem } from '../core/stuck.js';
import { STATUSES, type Task } from '../core/task.js';
import type { DashboardSnapshot } from '../dashboard/snapshot.js';
import { renderTaskPageText, taskPage } from '../render/show.js';
import { vizLayout } from '../render/viz.js';

export type Pane = 'tasks' | 'tree' | 'agents';
export const PANES: readonly Pane[] = ['tasks', 'tree', 'agents'];

/** The filters `f` cycles through: everything, stuck work, then one status each. */
export const FILTERS: readonly string[] = ['all', 'stuck', ...STATUSES];

export const STATUS_COLOR: Record<string, string> = {
  'open': 'white',
  'in-progress': 'yellow',
  'waiting': 'magenta',
  'blocked': 'magenta',
  'done': 'green',
  'failed': 'red',
  'abandoned': 'gray',
  'pending-validation': 'blue',
  'pending-eval': 'blue',
  'failed-pending-eval': 'red',
  'incomplete': 'yellowBright',
};

/** The status column: wide enough for every status but the two longest, which are shortened. */
export const STATUS_WIDTH = 15;
const SHORT_STATUS: Record<string, string> = { 'pending-validation': 'pending-valid', 'failed-pending-eval': 'failed-p-eval' };
export const statusLabel = (status: string): string => SHORT_STATUS[status] ?? status;

export interface ListRow {
  id: string;
  status: string;
  title: string;
  paused: boolean;
  assigned?: string | undefined;
  /** The tree's drawing, or the stuck kind. */
  prefix: string;
  note?: string | undefined;
}

const rowOf = (t: Task, prefix = '', note?: string): ListRow => ({ id: t.id, status: t.status, title: t.title, paused: !!t.paused, assigned: t.assigned, prefix, note });

/**
 * The left pane's list, lazily: its length, and a row built only when it is drawn (or selected).
 * At 10k tasks the list is the snapshot's own task array (no filter) or an array of references
 * (a filter or a search): no row objects for the thousands of rows off screen.
 */
export interface RowList {
  readonly length: number;
  at(i: number): ListRow | undefined;
}

export const rowList = <T>(items: readonly T[], row: (item: T) => ListRow): RowList => ({
  length: items.length,
  at: (i) => (i >= 0 && i < items.length ? row(items[i]!) : undefined),
});

export function taskRows(s: DashboardSnapshot, filter: string, search: string): RowList {
  const q = search.trim().toLowerCase();
  const match = (t: { id: string; title: string }): boolean => !q || t.id.toLowerCase().includes(q) || t.title.toLowerCase().includes(q);
  if (filter === 'stuck') {
    const items = q ? s.stuck.filter((i: StuckItem) => match({ id: i.task, title: i.title })) : s.stuck;
    return rowList(items, (i) => ({ id: i.task, status: i.status, title: i.title, paused: !!s.graph.peek(i.task)?.paused, assigned: s.graph.peek(i.task)?.assigned, prefix: `${i.kind.padEnd(17)} `, note: i.why }));
  }
  if (filter === 'all' && !q) return rowList(s.tasks, (t) => rowOf(t));
  return rowList(
    s.tasks.filter((t) => (filter === 'all' || t.status === filter) && match(t)),
    (t) => rowOf(t),
  );
}

export function treeRows(s: DashboardSnapshot, search: string): RowList {
  const q = search.trim().toLowerCase();
  const rows = vizLayout(s.graph, { includeSystem: false, includeFinished: false }).rows.filter((r) => !q || r.task.id.toLowerCase().includes(q) || r.task.title.toLowerCase().includes(q));
  return rowList(rows, (r) => rowOf(r.task, r.prefix, r.repeat ? '↑' : undefined));
}

/** The slice of `n` rows to draw so that `selected` is visible (kept near the middle). */
export function windowOf(total: number, selected: number, n: number): { start: number; end: number } {
  if (total <= n) return { start: 0, end: total };
  const start = Math.max(0, Math.min(selected - Math.floor(n / 2), total - n));
  return { start, end: start + n };
}

/**
 * The inspector: the `wg show` page of the task, then the live agent's output tail. At most
 * `height` lines: the page is cut (with a mark) so that the agent's tail always shows.
 */
export function inspectorLines(s: DashboardSnapshot, id: string | undefined, height = Infinity): string[] {
  if (!id || !s.graph.has(id)) return ['(no task selected)'];
  const task = s.graph.get(id)!;
  const page = renderTaskPageText(task, taskPage(s.graph, task));
  const agent = s.agents.find((a) => a.task === id && a.running);
  const tail = agent ? ['', `Agent ${agent.id} output:`, ...agent.tail.map((l) => `  ${l}`)] : [];
  const room = Math.max(1, height - tail.length);
  const shown = page.length > room ? [...page.slice(0, room - 1), `  … ${page.length - room + 1} more lines (wg show ${id})`] : page;
  return [...shown, ...tail].slice(0, height);
}

export const stuckRank = (kind: string): number => STUCK_ORDER.indexOf(kind as StuckItem['kind']);
