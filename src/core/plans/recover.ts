/**
 * `wg recover` (SPEC §5): batch re-queue of failed tasks matching filters; a dry run unless
 * --yes (the CLI decides; the plan is the same). Failed `.evaluate-/.flip-/.assign-`
 * companions of recovered tasks are abandoned unless --keep-agency.
 */
import { usageError } from '../errors.js';
import type { Graph } from '../graph.js';
import { companionIds, release } from '../claims.js';
import { appendLog, logEntry, type Actor, type Plan } from '../plan.js';
import { isSystemId, withFields, type Task } from '../task.js';
import { accepts, isStatus } from '../transitions.js';

export type RecoverFilter = (t: Task) => boolean;

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '==': (a, b) => a === b,
  '=': (a, b) => a === b,
};

/** `status=failed`, `id=x`, `id-prefix=x`, `tag=x`, `attempts<=N` (<, >=, >, =), `error~text`. */
export function parseRecoverFilter(expr: string): { filter: RecoverFilter; status?: string } {
  const e = expr.trim();
  let m = /^(status|id|id-prefix|tag)=(.+)$/.exec(e);
  if (m) {
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'status') {
      if (!isStatus(value)) throw usageError(`invalid filter '${expr}': unknown status '${value}'`);
      return { filter: (t) => t.status === value, status: value };
    }
    if (key === 'id') return { filter: (t) => t.id === value };
    if (key === 'id-prefix') return { filter: (t) => t.id.startsWith(value) };
    return { filter: (t) => (t.tags ?? []).includes(value) };
  }
  m = /^attempts(<=|>=|==|<|>|=)(\d+)$/.exec(e);
  if (m) {
    const cmp = COMPARE[m[1]!]!;
    const n = Number(m[2]);
    return { filter: (t) => cmp(t.retry_count ?? 0, n) };
  }
  m = /^error~(.+)$/.exec(e);
  if (m) {
    const needle = m[1]!.toLowerCase();
    return { filter: (t) => (t.failure_reason ?? '').toLowerCase().includes(needle) };
  }
  throw usageError(`invalid filter '${expr}'`, 'use status=S, id=ID, id-prefix=P, tag=T, attempts<=N (<, >=, >, =) or error~TEXT');
}

export interface RecoverOptions {
  filters: string[];
  keepAgency: boolean;
  maxAttempts: number;
  reason?: string;
}

export interface RecoverResult {
  recovered: string[];
  skipped: Array<{ id: string; why: string }>;
  abandoned: string[];
}

export function planRecover(graph: Graph, opts: RecoverOptions, who: Actor): Plan<RecoverResult> {
  const parsed = opts.filters.map(parseRecoverFilter);
  // Without a status filter, recover means failed tasks.
  const filters = parsed.some((p) => p.status) ? parsed.map((p) => p.filter) : [(t: Task) => t.status === 'failed', ...parsed.map((p) => p.filter)];
  const writes: Task[] = [];
  const result: RecoverResult = { recovered: [], skipped: [], abandoned: [] };
  for (const row of graph.tasks.values()) {
    if (isSystemId(row.id)) continue;
    const t = graph.get(row.id)!; // filters read fields a row may lack (failure_reason)
    if (!filters.every((f) => f(t))) continue;
    if (!accepts('recover', t.status)) {
      result.skipped.push({ id: t.id, why: `is ${t.status}, not failed` });
      continue;
    }
    if ((t.retry_count ?? 0) >= opts.maxAttempts) {
      result.skipped.push({ id: t.id, why: `${t.retry_count} attempts ≥ --max-attempts ${opts.maxAttempts}` });
      continue;
    }
    writes.push(
      appendLog(
        release(t, 'open', { retry_count: (t.retry_count ?? 0) + 1, failure_reason: undefined, failure_class: undefined, ready_after: undefined }),
        logEntry(who, `Re-queued by 'wg recover' (was failed: ${t.failure_reason ?? 'no reason'})${opts.reason ? ` — reason: ${opts.reason}` : ''}`),
      ),
    );
    result.recovered.push(t.id);
    if (opts.keepAgency) continue;
    for (const cid of companionIds(t.id)) {
      const c = graph.get(cid);
      if (!c || !accepts('recover-companion', c.status)) continue;
      writes.push(appendLog(withFields(c, { status: 'abandoned' }), logEntry(who, `Abandoned by 'wg recover' of '${t.id}'`)));
      result.abandoned.push(c.id);
    }
  }
  return { writes, ops: [{ op: 'recover', detail: { recovered: result.recovered, abandoned: result.abandoned } }], result };
}

