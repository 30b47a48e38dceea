/**
 * The SQL text of the PostgreSQL store's writes. Values travel as escaped literals (the simple
 * protocol: several statements in one message, so BEGIN, the write, NOTIFY and COMMIT cost one
 * round trip). Every statement here writes a task only if its row is still at the version the
 * plan read; a shortfall raises SQLSTATE WG409 (wg_expect_rows) inside the same statement.
 */
import pg from 'pg';
import type { OperationRecord } from '../../core/plan.js';
import { serializeTask, type Task } from '../../core/task.js';
import { formatTimestamp } from '../../core/time.js';
import { toRow } from '../graph-index.js';

const { escapeLiteral } = pg;

export interface PgMutationContext {
  actor?: string;
  user?: string;
  now: Date;
}

const lit = (v: string | null): string => (v === null ? 'NULL' : escapeLiteral(v));
const arr = (xs: Array<string | null>, type: string): string => `ARRAY[${xs.join(',')}]::${type}[]`;

/** The columns of `writes` as SQL arrays, in order (`version`: the one each plan read; 0 = new). */
function columns(writes: Task[], version: (id: string) => number | undefined): { rows: Task[]; values: string } {
  const rows = writes.map((w) => toRow(w));
  const cols = [
    arr(writes.map((w) => lit(w.id)), 'text'),
    arr(writes.map((w) => String(version(w.id) ?? 0)), 'bigint'),
    arr(writes.map((w) => lit(serializeTask(w))), 'text'),
    arr(rows.map((r) => lit(JSON.stringify(r))), 'text'),
    arr(writes.map((w) => lit(w.status)), 'text'),
    arr(writes.map((w) => String(Math.trunc(w.priority))), 'int'),
    arr(writes.map((w) => lit(w.assigned ?? null)), 'text'),
    arr(writes.map((w) => String(Math.trunc(w.claim_epoch ?? 0))), 'int'),
    arr(writes.map((w) => (w.paused ? 'true' : 'false')), 'bool'),
  ];
  return {
    rows,
    values: `SELECT * FROM unnest(${cols.join(', ')})
           WITH ORDINALITY AS w(id, version, line, row, status, priority, assigned, claim_epoch, paused, ord)`,
  };
}

const SET_ROW = `line = w.line, row = w.row, status = w.status, priority = w.priority, assigned = w.assigned,
                claim_epoch = w.claim_epoch, paused = w.paused, version = n.version + 1, updated_at = now()`;

/**
 * A plan's writes: the updates (each conditional on its version), the inserts, the operations
 * and the change-feed entries — raising WG409 unless every row was written — then NOTIFY and
 * COMMIT. Its result (statement `prefix` statements in) holds each written id's seq and version.
 */
export function writeSql(writes: Task[], version: (id: string) => number | undefined, ops: OperationRecord[], ctx: PgMutationContext, prefix = ''): { text: string; rows: Task[] } {
  const { rows, values } = columns(writes, version);
  const records = ops.map((o) => lit(operationRecord(o, ctx)));
  const text = `${prefix}WITH w AS (${values}
       ), upd AS (
         UPDATE wg_nodes n SET ${SET_ROW}
           FROM w WHERE w.version > 0 AND n.id = w.id AND n.version = w.version AND n.kind = 'task'
         RETURNING n.id, n.seq, n.version
       ), ins AS (
         INSERT INTO wg_nodes (id, kind, line, row, status, priority, assigned, claim_epoch, paused)
         SELECT id, 'task', line, row, status, priority, assigned, claim_epoch, paused FROM w WHERE w.version = 0 ORDER BY ord
         ON CONFLICT (id) DO NOTHING
         RETURNING id, seq, version
       ), ops AS (
         INSERT INTO wg_operations (record) SELECT unnest(${arr(records, 'text')})
       ), ch AS (
         INSERT INTO wg_changes (id) SELECT unnest(${arr(writes.map((w) => lit(w.id)), 'text')})
       )
       SELECT x.id, x.seq, x.version
         FROM (SELECT wg_expect_rows((SELECT count(*) FROM upd) + (SELECT count(*) FROM ins), ${writes.length})) chk
         LEFT JOIN (SELECT id, seq, version FROM upd UNION ALL SELECT id, seq, version FROM ins) x ON true;
       NOTIFY wg_changed; COMMIT`;
  return { text, rows };
}

/**
 * `claim --next` in one round trip: `claims` are alternative claims of different tasks (each
 * planned on the row at the version it read), best first. The statement locks the first of
 * them whose row is still at that version, unclaimed and not held by another transaction
 * (SKIP LOCKED: never waits), writes that claim with its operations, and commits; none: nothing
 * is written. Its result (the second statement's) holds the id written, if any, its seq and version.
 */
export function claimOneSql(claims: Array<{ task: Task; ops: OperationRecord[] }>, version: (id: string) => number | undefined, ctx: PgMutationContext): { text: string; rows: Task[] } {
  const { rows, values } = columns(
    claims.map((c) => c.task),
    version,
  );
  const opOrd: string[] = [];
  const opRec: string[] = [];
  claims.forEach((c, i) =>
    c.ops.forEach((o) => {
      opOrd.push(String(i + 1));
      opRec.push(lit(operationRecord(o, ctx)));
    }),
  );
  const text = `BEGIN; WITH w AS (${values}
       ), pick AS (
         SELECT n.id, w.ord FROM wg_nodes n JOIN w ON n.id = w.id AND n.version = w.version
          WHERE n.kind = 'task' AND n.status IN ('open', 'incomplete') AND n.assigned IS NULL
          ORDER BY w.ord LIMIT 1 FOR UPDATE OF n SKIP LOCKED
       ), upd AS (
         UPDATE wg_nodes n SET ${SET_ROW}
           FROM w JOIN pick ON pick.ord = w.ord WHERE n.id = pick.id
         RETURNING n.id, n.seq, n.version
       ), ops AS (
         INSERT INTO wg_operations (record)
         SELECT o.record FROM unnest(${arr(opOrd, 'bigint')}, ${arr(opRec, 'text')}) WITH ORDINALITY AS o(ord, record, k)
           JOIN pick ON pick.ord = o.ord ORDER BY o.k
       ), ch AS (
         INSERT INTO wg_changes (id) SELECT id FROM upd
       )
       SELECT upd.id, upd.seq, upd.version, pg_notify('wg_changed', '') FROM upd; COMMIT`;
  return { text, rows };
}

/** Last write of a task wins; its position is its first write's. */
export function dedupe(writes: Task[]): Task[] {
  const at = new Map<string, number>();
  const out: Task[] = [];
  for (const w of writes) {
    const i = at.get(w.id);
    if (i === undefined) {
      at.set(w.id, out.length);
      out.push(w);
    } else out[i] = w;
  }
  return out;
}

/** The provenance record, as the JSONL store writes it to log/operations.jsonl. */
export function operationRecord(o: OperationRecord, ctx: PgMutationContext): string {
  return JSON.stringify({
    timestamp: formatTimestamp(ctx.now),
    op: o.op,
    ...(o.task_id ? { task_id: o.task_id } : {}),
    ...(ctx.actor ? { actor: ctx.actor } : {}),
    ...(ctx.user ? { user: ctx.user } : {}),
    ...(o.detail ? { detail: o.detail } : {}),
  });
}
