/**
 * Token and cost totals from the recorded usage (pure). One usage record per attempt: the
 * registry's agents carry the usage their output reported (core/plans/agent-death.ts); a task
 * whose usage was recorded without an agent in the registry (the Rust tool, a pruned registry)
 * counts once, from its own `token_usage`.
 */
import type { Task, TokenUsage } from './task.js';
import type { AgentRun } from './trace.js';
import { parseTimestamp } from './time.js';

export interface UsageRecord {
  task: string;
  agent: string;
  model: string;
  /** When the usage was spent (the attempt's end, else its start), RFC 3339. */
  at: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

export type SpendBy = 'task' | 'agent' | 'model' | 'day';
export const SPEND_BY: readonly SpendBy[] = ['task', 'agent', 'model', 'day'];

export interface SpendRow {
  key: string;
  attempts: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function record(task: string, agent: string, model: string, at: string, u: TokenUsage): UsageRecord {
  return { task, agent, model, at, input_tokens: num(u.input_tokens), output_tokens: num(u.output_tokens), cache_read_input_tokens: num(u.cache_read_input_tokens), cache_creation_input_tokens: num(u.cache_creation_input_tokens), cost_usd: num(u.cost_usd) };
}

export function usageRecords(agents: Iterable<AgentRun>, tasks: Iterable<Task>): UsageRecord[] {
  const out: UsageRecord[] = [];
  const covered = new Set<string>();
  const taskModel = new Map<string, string | undefined>();
  const taskList = [...tasks];
  for (const t of taskList) taskModel.set(t.id, t.model);
  for (const a of agents) {
    const u = a.token_usage as TokenUsage | undefined;
    if (!u) continue;
    covered.add(a.task_id);
    out.push(record(a.task_id, a.id, a.model ?? taskModel.get(a.task_id) ?? 'unknown', a.completed_at ?? a.started_at, u));
  }
  for (const t of taskList) {
    if (!t.token_usage || covered.has(t.id)) continue;
    const at = t.completed_at ?? t.started_at ?? t.created_at;
    if (!at) continue;
    out.push(record(t.id, t.assigned ?? 'unknown', t.model ?? 'unknown', at, t.token_usage));
  }
  return out;
}

const keyOf = (r: UsageRecord, by: SpendBy): string => (by === 'day' ? (parseTimestamp(r.at)?.toISOString() ?? r.at).slice(0, 10) : r[by]);

const emptyRow = (key: string): SpendRow => ({ key, attempts: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0 });

function add(row: SpendRow, r: UsageRecord): void {
  row.attempts++;
  row.input_tokens += r.input_tokens;
  row.output_tokens += r.output_tokens;
  row.cache_read_input_tokens += r.cache_read_input_tokens;
  row.cache_creation_input_tokens += r.cache_creation_input_tokens;
  row.cost_usd += r.cost_usd;
}

/** Totals by `by` (days ascending; the rest by cost, then tokens, descending), with the grand total. */
export function spend(records: readonly UsageRecord[], by: SpendBy, since?: Date): { rows: SpendRow[]; total: SpendRow } {
  const rows = new Map<string, SpendRow>();
  const total = emptyRow('total');
  for (const r of records) {
    if (since && (parseTimestamp(r.at)?.getTime() ?? 0) < since.getTime()) continue;
    const k = keyOf(r, by);
    let row = rows.get(k);
    if (!row) rows.set(k, (row = emptyRow(k)));
    add(row, r);
    add(total, r);
  }
  const list = [...rows.values()];
  list.sort(by === 'day' ? (a, b) => a.key.localeCompare(b.key) : (a, b) => b.cost_usd - a.cost_usd || b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens) || a.key.localeCompare(b.key));
  return { rows: list, total };
}

/** Start of `now`'s UTC day (what "today" means for `wg status` and `--since today`). */
export const startOfDay = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
