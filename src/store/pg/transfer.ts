/**
 * Moving a graph between the stores (`wg export --to`, `wg import --from`): graph.jsonl lines
 * ↔ wg_nodes rows, one for one and in order. Every line is kept as its exact text — task lines
 * with their unknown fields, lines of other kinds, blank and `#` lines — so a graph exported
 * from PostgreSQL is byte-for-byte the file that was imported (plus a final newline if the file
 * lacked one).
 */
import { WgError } from '../../core/errors.js';
import { toRow } from '../graph-index.js';
import { parseGraph } from '../graph-file.js';
import type { Pool } from './connect.js';
import { redactUrl } from './connect.js';
import { LOCK_KEYS } from './migrate.js';

export interface ImportResult {
  lines: number;
  tasks: number;
  replaced: number;
}

/** Validates the whole file first (a bad line names its number; nothing is written), then loads it in one transaction. */
export async function importGraph(pool: Pool, url: string, text: string, opts: { replace?: boolean; label?: string } = {}): Promise<ImportResult> {
  const file = parseGraph(text, opts.label ?? 'graph.jsonl');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK_KEYS.structure]);
    const existing = Number((await client.query<{ n: number }>('SELECT count(*) AS n FROM wg_nodes')).rows[0]!.n);
    if (existing && !opts.replace) {
      throw new WgError('already_exists', `the PostgreSQL store at ${redactUrl(url)} already holds ${existing} lines`, {
        hint: "import into an empty store, or pass --replace to replace its graph (export it first: 'wg export --to backup.jsonl')",
      });
    }
    if (existing) {
      await client.query('INSERT INTO wg_changes (id) SELECT id FROM wg_nodes WHERE id IS NOT NULL');
      await client.query('DELETE FROM wg_nodes');
    }
    const cols = { id: [] as Array<string | null>, kind: [] as string[], line: [] as string[], row: [] as Array<string | null>, status: [] as Array<string | null>, priority: [] as Array<number | null>, assigned: [] as Array<string | null>, epoch: [] as number[], paused: [] as boolean[] };
    for (const l of file.lines) {
      const t = l.task;
      cols.id.push(l.id ?? null);
      cols.kind.push(t ? 'task' : l.id !== undefined ? String((JSON.parse(l.raw) as { kind?: unknown }).kind) : '');
      cols.line.push(l.raw);
      cols.row.push(t ? JSON.stringify(toRow(t)) : null);
      cols.status.push(t ? t.status : null);
      cols.priority.push(t ? t.priority : null);
      cols.assigned.push(t?.assigned ?? null);
      cols.epoch.push(t?.claim_epoch ?? 0);
      cols.paused.push(!!t?.paused);
    }
    for (let i = 0; i < cols.line.length; i += 5000) {
      const s = <T>(a: T[]): T[] => a.slice(i, i + 5000);
      await client.query(
        `INSERT INTO wg_nodes (id, kind, line, row, status, priority, assigned, claim_epoch, paused)
         SELECT id, kind, line, row, status, priority, assigned, claim_epoch, paused
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::int[], $9::bool[])
                WITH ORDINALITY AS w(id, kind, line, row, status, priority, assigned, claim_epoch, paused, ord)
          ORDER BY ord`,
        [s(cols.id), s(cols.kind), s(cols.line), s(cols.row), s(cols.status), s(cols.priority), s(cols.assigned), s(cols.epoch), s(cols.paused)],
      );
    }
    await client.query(`INSERT INTO wg_changes (id) SELECT id FROM wg_nodes WHERE id IS NOT NULL`);
    await client.query(`INSERT INTO wg_operations (record) VALUES ($1)`, [JSON.stringify({ timestamp: new Date().toISOString(), op: 'import', detail: { lines: file.lines.length, tasks: file.tasks.length, replaced: existing } })]);
    await client.query('NOTIFY wg_changed; COMMIT');
    // Statistics for the planner now, not when autovacuum gets to it: without them a claim's
    // lock (`id = ANY(…)` on a fresh table) scans every candidate instead of reading 64 by id.
    await client.query('ANALYZE wg_nodes').catch(() => undefined);
    return { lines: file.lines.length, tasks: file.tasks.length, replaced: existing };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** The graph as graph.jsonl text: every line in order, each ending with a newline. */
export async function exportGraph(pool: Pool): Promise<{ text: string; lines: number; tasks: number }> {
  const r = await pool.query<{ line: string; kind: string }>('SELECT line, kind FROM wg_nodes ORDER BY seq');
  const text = r.rows.map((x) => x.line + '\n').join('');
  return { text, lines: r.rows.length, tasks: r.rows.filter((x) => x.kind === 'task').length };
}
