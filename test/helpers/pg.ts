/**
 * A fresh database per test on the run's private cluster (test/helpers/pg-global-setup.ts), with
 * the workgraph schema migrated. `drop()` ends every connection to it and drops it.
 */
import pg from 'pg';
import { inject } from 'vitest';

export const pgUrl = (): string => inject('pgUrl');
export const pgClusterDir = (): string => inject('pgClusterDir');

let counter = 0;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function urlFor(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const base = pgUrl();
  const name = `wg_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(opts.migrate === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE wg_test_template STRATEGY FILE_COPY`);
  } finally {
    await admin.end();
  }
  const url = urlFor(base, name);
  return {
    url,
    name,
    async drop() {
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Runs SQL on the test database (one short-lived connection). */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}
