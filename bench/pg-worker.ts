/**
 * The wg side of bench/pg-claims.mjs, bundled on the fly by esbuild (it imports the store's
 * TypeScript): seeding a graph and running N workers that each loop `claim --next` → `done`
 * through the PostgreSQL store's API — what an agent's `wg claim --next` / `wg done` run, minus
 * the process start-up (pg-boss's side runs in-process too).
 */
import pg from 'pg';
import { planDone } from '../src/core/plans/finish.js';
import { PgStore } from '../src/store/pg/pg-store.js';
import { importGraph } from '../src/store/pg/transfer.js';

export async function seed(url: string, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ kind: 'task', id: `job-${i}`, title: `Job ${i}`, status: 'open', priority: 10 }));
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await importGraph(pool, url, lines.join('\n') + '\n');
  } finally {
    await pool.end();
  }
}

export interface WorkerRun {
  completed: number;
  elapsedMs: number;
  claimed: string[];
  conflicts: number;
  latenciesMs: number[];
  /** The store's and the row copy's counters (transactions, one-trip claims, refreshes…). */
  stats: Record<string, number>;
}

/**
 * `concurrency` workers in one process sharing one store (a pool of `concurrency` connections
 * and one row copy, as a host's service would), until `durationMs` or nothing is left — the
 * shape of pg-boss's side (one instance, a pool, N concurrent fetch/complete loops).
 */
export async function work(url: string, concurrency: number, durationMs: number): Promise<WorkerRun> {
  const store = await PgStore.open(url, { name: 'bench', maxConnections: concurrency });
  const stores = Array.from({ length: concurrency }, () => store);
  // Warm the copy (the first transaction loads every row once, as a new process would).
  await store.loadRows();
  const claimed: string[] = [];
  const latenciesMs: number[] = [];
  let completed = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    stores.map(async (s, i) => {
      const agent = `agent-${i + 1}`;
      while (performance.now() < end) {
        const t0 = performance.now();
        const who = { now: s.clock.now(), actor: agent };
        const c = await s.claimNext(who, who);
        if (!c) break;
        claimed.push(c.task.id);
        const fence = { now: s.clock.now(), actor: agent, agentId: agent, fenceTaskId: c.task.id, fenceEpoch: c.task.claim_epoch ?? 0 };
        await s.mutate((g) => planDone(g, c.task.id, fence), fence);
        completed++;
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const conflicts = store.stats.conflicts;
  const stats = { ...store.stats, ...store.cache.stats };
  await store.close();
  return { completed, elapsedMs, claimed, conflicts, latenciesMs, stats };
}

/** Every task done by the one agent that claimed it, claimed once (from the database). */
export async function audit(url: string): Promise<{ done: number; claimedTwice: number; badEpoch: number }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const r = await pool.query<{ line: string }>(`SELECT line FROM wg_nodes WHERE kind = 'task'`);
    let done = 0;
    let claimedTwice = 0;
    let badEpoch = 0;
    for (const { line } of r.rows) {
      const t = JSON.parse(line) as { status: string; claim_epoch?: number; log?: Array<{ message: string }> };
      if (t.status !== 'done') continue;
      done++;
      if ((t.log ?? []).filter((e) => e.message.startsWith('Task claimed by')).length !== 1) claimedTwice++;
      if (t.claim_epoch !== 1) badEpoch++;
    }
    return { done, claimedTwice, badEpoch };
  } finally {
    await pool.end();
  }
}
