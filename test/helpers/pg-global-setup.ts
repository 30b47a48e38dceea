/**
 * Vitest global setup: one private PostgreSQL cluster for the whole run (scripts/pg-cluster.sh:
 * initdb in a temp dir, a free 127.0.0.1 port, an unprivileged user), stopped at the end.
 * Tests get its URL with `inject('pgUrl')` and create a database each (test/helpers/pg.ts).
 * With WG_TEST_PG_URL set, that server is used instead and nothing is started.
 * No PostgreSQL installed: the run fails here, loudly — the PostgreSQL store is tested, not skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/store/pg/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgClusterDir: string;
  }
}

const script = resolve(import.meta.dirname, '../../scripts/pg-cluster.sh');

/** A migrated template database: each test's database is a copy (CREATE DATABASE … TEMPLATE), ~5× faster than migrating each. */
export const TEMPLATE_DB = 'wg_test_template';

async function makeTemplate(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${TEMPLATE_DB}`;
  const pool = new pg.Pool({ connectionString: u.toString(), max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.WG_TEST_PG_URL;
  if (given) {
    await makeTemplate(given);
    project.provide('pgUrl', given);
    project.provide('pgClusterDir', '');
    return () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'wg-pg-'));
  let url: string;
  try {
    url = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`could not start the test PostgreSQL cluster: ${err.stderr?.trim() || String(e)}\nhint: install PostgreSQL (apt-get install postgresql), or point WG_TEST_PG_URL at a server`);
  }
  await makeTemplate(url);
  project.provide('pgUrl', url);
  project.provide('pgClusterDir', dir);
  return () => {
    execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
  };
}
