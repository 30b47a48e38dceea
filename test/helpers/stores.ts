/**
 * One conformance suite, two stores: a temp project on the JSONL store (graph.jsonl in .wg/) or
 * on the PostgreSQL store (a fresh database on the run's cluster, named in .wg/config.toml as
 * `[store] url`). Tests seed and read the graph and the provenance through this, and otherwise
 * run the same `wg` commands against either.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { seedGraph, type TaskSeed } from './files.js';
import { createDatabase, type TestDatabase } from './pg.js';
import { project } from './project.js';
import { wg, type WgResult } from './wg.js';

export const STORES = ['jsonl', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export interface StoreProject {
  kind: StoreKind;
  dir: string;
  wgDir: string;
  /** The database URL (postgres only). */
  url?: string;
  run(args: string[], env?: Record<string, string | undefined>): WgResult;
  /** Replaces the graph with these tasks (files.ts `seedGraph`; before any wg process runs). */
  seed(tasks: TaskSeed[]): Promise<void>;
  /** The graph as graph.jsonl text (for postgres: every stored line in order). */
  graphText(): Promise<string>;
  /** The provenance records, oldest first. */
  operations(): Promise<Array<{ op: string; task_id?: string; actor?: string; detail?: Record<string, unknown> }>>;
  cleanup(): Promise<void>;
}

export async function storeProject(kind: StoreKind): Promise<StoreProject> {
  const p = project();
  let db: TestDatabase | undefined;
  if (kind === 'postgres') {
    db = await createDatabase();
    appendFileSync(join(p.wgDir, 'config.toml'), `\n[store]\nurl = "${db.url}"\n`);
  }
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    kind,
    dir: p.dir,
    wgDir: p.wgDir,
    ...(db ? { url: db.url } : {}),
    run: (args, env) => wg(p.dir, args, env),
    async seed(tasks) {
      if (!db) {
        seedGraph(p.graphPath, tasks);
        return;
      }
      const file = join(p.dir, 'seed.jsonl');
      seedGraph(file, tasks);
      const r = wg(p.dir, ['import', '--from', file, '--replace']);
      if (r.code !== 0) throw new Error(`wg import failed: ${r.stderr}`);
      await query('TRUNCATE wg_operations'); // the seed is not an operation of the test
    },
    async graphText() {
      if (!db) return readFileSync(p.graphPath, 'utf8');
      return (await query<{ line: string }>('SELECT line FROM wg_nodes ORDER BY seq')).map((r) => r.line + '\n').join('');
    },
    async operations() {
      if (!db) {
        let text = '';
        try {
          text = readFileSync(join(p.wgDir, 'log', 'operations.jsonl'), 'utf8');
        } catch {
          return [];
        }
        return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { op: string });
      }
      return (await query<{ record: string }>('SELECT record FROM wg_operations ORDER BY seq')).map((r) => JSON.parse(r.record) as { op: string });
    },
    async cleanup() {
      p.cleanup();
      await db?.drop();
    },
  };
}
