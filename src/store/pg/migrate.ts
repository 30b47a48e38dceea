/**
 * `wg store migrate`: creates or upgrades the schema. The pending migrations run in one
 * transaction that first takes a transaction-scoped advisory lock, so two hosts migrating at
 * once apply each migration exactly once (the second waits, then finds nothing to do), and a
 * failed migration leaves the database as it was (PostgreSQL's DDL is transactional).
 */
import type { Pool } from './connect.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** Advisory lock keys (one namespace per purpose; 0x7767 = "wg"). */
export const LOCK_KEYS = {
  migrate: [0x7767, 1],
  structure: [0x7767, 2],
  reconcile: [0x7767, 3],
  registry: [0x7767, 4],
} as const;

export interface MigrateResult {
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK_KEYS.migrate]);
    await client.query(`CREATE TABLE IF NOT EXISTS wg_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM wg_schema_migrations')).rows.map((r) => r.version));
    const from = done.size ? Math.max(...done) : 0;
    const applied: MigrateResult['applied'] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO wg_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push({ version: m.version, name: m.name });
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, ...applied.map((a) => a.version)), applied };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
