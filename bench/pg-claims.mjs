// claim+complete throughput on one local PostgreSQL: wg's PostgreSQL store (claim --next with
// FOR UPDATE SKIP LOCKED, then done, each its own transaction) against pg-boss 10 (fetch, then
// complete) — same server, same run, 1/8/32 concurrent workers in one process each, a fresh
// database per measurement. Double claims are counted from the database afterwards (wg) and from
// the ids each worker got (both).
//
//   node bench/pg-claims.mjs [--seconds 5] [--tasks 4000] [--durable] [--json FILE]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const SECONDS = Number(opt('--seconds', '5'));
const TASKS = Number(opt('--tasks', '4000'));
const LEVELS = (opt('--workers', '1,8,32')).split(',').map(Number);
const durable = args.includes('--durable');
const only = opt('--only', ''); // 'wg' or 'pg-boss': one side only (profiling)

const script = join(ROOT, 'scripts', 'pg-cluster.sh');
const clusterDir = mkdtempSync(join(tmpdir(), 'wg-bench-pg-'));
const baseUrl = execFileSync('bash', [script, 'start', clusterDir, ...(durable ? ['--durable'] : [])], { encoding: 'utf8' }).trim();

async function freshDb(name) {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name}`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function wgRun(lib, workers) {
  const url = await freshDb(`bench_wg_${workers}`);
  const { migrate } = lib;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await migrate(pool);
  await pool.end();
  await lib.seed(url, TASKS);
  const r = await lib.work(url, workers, SECONDS * 1000);
  const a = await lib.audit(url);
  process.stderr.write(`  wg ${workers} workers: ${JSON.stringify(r.stats)}\n`);
  const dupIds = r.claimed.length - new Set(r.claimed).size;
  return { system: 'wg (PostgreSQL store)', workers, perSec: r.completed / (r.elapsedMs / 1000), completed: r.completed, doubleClaims: dupIds + a.claimedTwice + a.badEpoch, p50: pct(r.latenciesMs, 50), p95: pct(r.latenciesMs, 95), retries: r.conflicts };
}

async function bossRun(workers) {
  const url = await freshDb(`bench_boss_${workers}`);
  const boss = new PgBoss({ connectionString: url, max: workers + 2, supervise: false, schedule: false, migrate: true });
  boss.on('error', (e) => process.stderr.write(`pg-boss: ${e.message}\n`));
  await boss.start();
  await boss.createQueue('jobs');
  for (let i = 0; i < TASKS; i += 1000) await boss.insert(Array.from({ length: Math.min(1000, TASKS - i) }, (_, k) => ({ name: 'jobs', data: { n: i + k } })));
  const got = [];
  const lat = [];
  let completed = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const [job] = await boss.fetch('jobs');
        if (!job) break;
        got.push(job.id);
        await boss.complete('jobs', job.id);
        completed++;
        lat.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - start;
  await boss.stop({ graceful: false, wait: true });
  return { system: 'pg-boss 10 (fetch + complete)', workers, perSec: completed / (elapsed / 1000), completed, doubleClaims: got.length - new Set(got).size, p50: pct(lat, 50), p95: pct(lat, 95), retries: 0 };
}

try {
  const bundle = join(clusterDir, 'wg-bench-lib.mjs');
  await build({
    stdin: { contents: "export * from './bench/pg-worker.ts'; export { migrate } from './src/store/pg/migrate.ts';", resolveDir: ROOT, loader: 'ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, external: ['pg', 'pg-native', 'fs-ext'], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // pg resolves from the bundle's folder: point it at the repo's node_modules.
  writeFileSync(join(clusterDir, 'package.json'), '{"type":"module"}');
  execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(clusterDir, 'node_modules')]);
  const lib = await import(bundle);
  const rows = [];
  for (const w of LEVELS) {
    process.stderr.write(`bench: ${w} workers…\n`);
    if (only !== 'wg') rows.push(await bossRun(w));
    if (only !== 'pg-boss') rows.push(await wgRun(lib, w));
  }
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const lines = [
    `| workers | system | claim+complete / s | p50 ms | p95 ms | completed | double claims | re-runs (lost races) |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((r) => `| ${r.workers} | ${r.system} | **${f(r.perSec, 0)}** | ${f(r.p50)} | ${f(r.p95)} | ${r.completed} | ${r.doubleClaims} | ${r.retries} |`),
  ];
  console.log(lines.join('\n'));
  console.log(`\n(${SECONDS} s per measurement, ${TASKS} tasks/jobs seeded, server ${durable ? 'durable (fsync on)' : 'fsync off'}; PostgreSQL ${execFileSync('bash', ['-c', `ls /usr/lib/postgresql | sort -V | tail -1`], { encoding: 'utf8' }).trim()})`);
  if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(rows, null, 2));
} finally {
  execFileSync('bash', [script, 'stop', clusterDir]);
}
