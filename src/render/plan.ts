/**
 * The one renderer of plans (the `--dry-run` of every recovery command, and `wg recover`
 * without --yes): which tasks change status or claim, what else changes on them, the log entry
 * each gets, and which agents would be killed. `planJson` is the machine form: the same summary
 * plus the exact task lines the real run writes and its kills.
 */
import type { Graph } from '../core/graph.js';
import type { Kill, OperationRecord, Plan } from '../core/plan.js';
import type { Task } from '../core/task.js';
import { table } from './table.js';

export interface TaskChange {
  id: string;
  /** A task the plan creates. */
  created?: true;
  status: { from: string | null; to: string };
  /** Present when the holder or the epoch changes. */
  claim?: { from: string | null; to: string | null; epoch: { from: number; to: number } };
  /** Other fields that change: name → [before, after] (null: absent). */
  fields: Record<string, [unknown, unknown]>;
  /** Log messages the plan appends to the task. */
  log: string[];
}

export interface PlanView {
  changes: TaskChange[];
  kills: Kill[];
  ops: OperationRecord[];
}

const OWN_COLUMNS = new Set(['status', 'assigned', 'claim_epoch', 'log']);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function change(before: Task | undefined, after: Task): TaskChange {
  const fields: Record<string, [unknown, unknown]> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  for (const k of keys) {
    if (OWN_COLUMNS.has(k) || k === 'kind' || k === 'id') continue;
    if (!same(before?.[k], after[k])) fields[k] = [before?.[k] ?? null, after[k] ?? null];
  }
  const e0 = before?.claim_epoch ?? 0;
  const e1 = after.claim_epoch ?? 0;
  const h0 = before?.assigned ?? null;
  const h1 = after.assigned ?? null;
  const oldLog = before?.log?.length ?? 0;
  return {
    id: after.id,
    ...(before ? {} : { created: true as const }),
    status: { from: before?.status ?? null, to: after.status },
    ...(h0 !== h1 || e0 !== e1 ? { claim: { from: h0, to: h1, epoch: { from: e0, to: e1 } } } : {}),
    fields,
    log: (after.log ?? []).slice(oldLog).map((e) => e.message),
  };
}

/** What a plan would do to `graph` (the graph it was computed from). */
export function describePlan(graph: Graph, plan: Plan<unknown>): PlanView {
  return { changes: plan.writes.map((w) => change(graph.get(w.id), w)), kills: plan.kills ?? [], ops: plan.ops };
}

/** The machine form of a dry run: the summary, the exact task lines it writes, its kills. */
export function planJson(graph: Graph, plan: Plan<unknown>): PlanView & { writes: Task[] } {
  return { ...describePlan(graph, plan), writes: plan.writes };
}

const short = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

function statusText(c: TaskChange): string {
  if (c.created) return `new, ${c.status.to}`;
  return c.status.from === c.status.to ? `${c.status.to} (unchanged)` : `${c.status.from} → ${c.status.to}`;
}

function claimText(c: TaskChange): string {
  const k = c.claim;
  if (!k) return '';
  const epoch = `epoch ${k.epoch.from} → ${k.epoch.to}`;
  if (k.from && !k.to) return `releases ${k.from} (${epoch})`;
  if (k.to && k.to !== k.from) return `claimed by ${k.to}${k.from ? ` (was ${k.from})` : ''} (${epoch})`;
  return epoch;
}

function fieldsText(c: TaskChange): string {
  return Object.entries(c.fields)
    .map(([k, [a, b]]) => (b === null ? `${k} cleared` : a === null ? `${k} → ${short(b)}` : `${k} ${short(a)} → ${short(b)}`))
    .join(', ');
}

export function describeKill(k: Kill): string {
  return `kill ${k.agent}: ${k.force ? 'SIGKILL its process group at once' : 'SIGTERM its process group, SIGKILL after kill_grace'} (${k.reason})`;
}

/** Human lines: one row per changed task (its log entry below it), then one per kill. */
export function renderPlan(view: PlanView): string[] {
  if (!view.changes.length && !view.kills.length) return ['  nothing to change'];
  const rows = table(view.changes.map((c) => [`  ${c.id}`, statusText(c), claimText(c), fieldsText(c)]));
  const out: string[] = [];
  view.changes.forEach((c, i) => {
    out.push(rows[i]!);
    for (const m of c.log) out.push(`      log: ${m}`);
  });
  for (const k of view.kills) out.push(`  ${describeKill(k)}`);
  return out;
}
