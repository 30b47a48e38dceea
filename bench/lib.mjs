// Shared helpers for the benchmarks: graph generation, timed runs of the built CLI, statistics.
// Every scenario file exports `run()` returning rows for docs/benchmarks.md and can also be run
// alone: `node bench/ready.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI under test; WG_BENCH_BIN points the bench at another build (e.g. a baseline). */
export const WG = process.env.WG_BENCH_BIN ?? join(ROOT, 'dist', 'wg.mjs');
export const SIZES = [1_000, 10_000, 100_000];
/** Runs per measurement: enough for a stable median/p95 while keeping the whole run < 10 min. */
export const runsFor = (n) => (n >= 100_000 ? 5 : 15);

export function env(extra = {}) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WG_') && k !== 'NO_COLOR') e[k] = v;
  return { ...e, USER: 'bench', WG_USER: 'bench', ...extra };
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * One timed `wg` invocation: wall time in ms (including Node start-up), and — through
 * /usr/bin/time, when present — the child's CPU time (user+sys), which is what to compare when
 * other work shares the machine.
 */
export function wg(args, { cwd, extraEnv, check = true } = {}) {
  // The bundle is executed as users run `wg` (its shebang line, with its Node flags, applies).
  const [cmd, argv] = TIME ? [TIME, ['-f', '\nWGBENCH %U %S %M', WG, ...args]] : [WG, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, env: env(extraEnv), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let stderr = r.stderr;
  let cpuMs;
  const m = /\n?WGBENCH ([\d.]+) ([\d.]+) (\d+)\n?$/.exec(stderr);
  if (m) {
    cpuMs = (Number(m[1]) + Number(m[2])) * 1000;
    stderr = stderr.slice(0, m.index);
  }
  if (check && r.status !== 0) throw new Error(`wg ${args.join(' ')} exited ${r.status}: ${stderr}`);
  return { ms, cpuMs, code: r.status, stdout: r.stdout, stderr };
}

/** Wall-time stats plus the median CPU time of the same runs. */
export function runStats(results) {
  const cpu = results.map((r) => r.cpuMs).filter((x) => x !== undefined);
  return { ...stats(results.map((r) => r.ms)), ...(cpu.length ? { cpuMedian: stats(cpu).median } : {}) };
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, p95: q(0.95), min: s[0], max: s[s.length - 1] };
}

// ---- waiting for what a watcher shows ----------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls (every ms) until `fn` returns something truthy and returns it; throws after `ms` (a bench never hangs). */
export async function until(what, fn, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** Runs `wg args` in `cwd` without blocking this event loop (a watcher's output is seen as it comes); resolves on exit. */
export const wgAsync = (args, cwd) => new Promise((res) => spawn(process.execPath, [WG, ...args], { cwd, env: env(), stdio: 'ignore' }).on('exit', res));

/**
 * A change by another process, timed from the moment it exists: runs `wg args` (async), takes
 * the mtime of `file` (the file that write changed), then waits until `arrival()` returns the
 * wall-clock time (ms, Date.now()) at which the watcher showed it. Returns that mtime and
 * `ms` = arrival − mtime.
 */
export async function timedChange(args, cwd, file, what, arrival) {
  await wgAsync(args, cwd);
  const mtime = statSync(file).mtimeMs;
  const at = await until(what, arrival);
  return { mtime, ms: at - mtime };
}

// ---- graph generation -------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so every run benches the same graph. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'api auth login cache index parser schema migration retry queue worker billing invoice export import report search filter token session upload download webhook config logging metrics dashboard audit backup deploy release rollback test fixture docs refactor cleanup bug crash timeout latency memory leak'.split(' ');
const VERBS = 'fix add implement refactor document test review design migrate remove speed-up investigate'.split(' ');
const TAGS = ['backend', 'frontend', 'infra', 'docs', 'bug', 'feature', 'perf', 'security', 'tests', 'agent'];
const AGENTS = ['agent-1', 'agent-2', 'agent-3', 'agent-7', 'alice', 'bob'];

/**
 * A realistic graph.jsonl: ~45% done, ~28% open, 8% in-progress, the rest failed/blocked/
 * abandoned/paused; dependencies mostly on recent tasks (with `before` mirrors), tags, 1–3 log
 * entries, timestamps; lines of roughly 300–600 bytes.
 */
export function generateGraph(n, seed = 42) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const base = Date.parse('2026-01-01T00:00:00Z');
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const words = [pick(VERBS), pick(WORDS), pick(WORDS)];
    const id = `${words.join('-')}-${i}`;
    const x = r();
    // Older tasks are more likely to be finished, as in a real graph.
    const age = 1 - i / n;
    let status;
    if (x < 0.25 + 0.45 * age) status = 'done';
    else if (x < 0.8) status = 'open';
    else if (x < 0.88) status = 'in-progress';
    else if (x < 0.92) status = 'failed';
    else if (x < 0.95) status = 'blocked';
    else status = 'abandoned';
    const created = new Date(base + i * 60_000).toISOString();
    const t = { kind: 'task', id, title: `${words[0][0].toUpperCase()}${words[0].slice(1)} the ${words[1]} ${words[2]} (#${i})`, status, priority: pick([10, 10, 10, 5, 50, 100, 0]) };
    if (r() < 0.3) t.description = `See issue ${1000 + i}; tests must pass.`;
    if (status === 'in-progress') t.assigned = pick(AGENTS);
    const nDeps = i === 0 ? 0 : pick([0, 0, 1, 1, 1, 2, 2, 3]);
    const after = new Set();
    for (let d = 0; d < nDeps; d++) after.add(tasks[Math.max(0, i - 1 - Math.floor(r() * Math.min(i, 50)))].id);
    if (after.size) t.after = [...after];
    t.tags = [pick(TAGS), ...(r() < 0.5 ? [pick(TAGS)] : [])].filter((v, k, a) => a.indexOf(v) === k);
    t.created_at = created;
    const log = [{ timestamp: created, actor: 'alice', user: 'alice', message: 'Task added' }];
    if (status !== 'open' && status !== 'blocked') {
      const started = new Date(base + i * 60_000 + 120_000).toISOString();
      t.started_at = started;
      const who = t.assigned ?? pick(AGENTS);
      log.push({ timestamp: started, actor: who, message: `Task claimed by ${who}` });
      t.claim_epoch = 1;
      if ((status === 'done' || status === 'failed' || status === 'abandoned') && r() < 0.6) {
        t.completed_at = new Date(base + i * 60_000 + 900_000).toISOString();
        log.push({ timestamp: t.completed_at, actor: who, message: status === 'done' ? 'Task marked as done' : `Task ${status}` });
      }
      if (status === 'failed') {
        t.failure_reason = 'agent exited with code 1';
        t.failure_class = 'agent-exit-nonzero';
        t.retry_count = 1;
      }
    }
    t.log = log;
    if (status === 'open' && r() < 0.04) t.paused = true;
    tasks.push(t);
  }
  // `before` mirrors `after`.
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const t of tasks) for (const d of t.after ?? []) (byId.get(d).before ??= []).push(t.id);
  const ORDER = ['kind', 'id', 'title', 'description', 'status', 'priority', 'assigned', 'before', 'after', 'tags', 'created_at', 'started_at', 'completed_at', 'log', 'retry_count', 'failure_reason', 'failure_class', 'paused', 'claim_epoch'];
  return tasks.map((t) => JSON.stringify(Object.fromEntries(ORDER.filter((k) => k in t).map((k) => [k, t[k]])))).join('\n') + '\n';
}

const cache = new Map();
/** A fresh project dir with a generated graph of `n` tasks (generated once per process). */
export function project(n) {
  const dir = mkdtempSync(join(tmpdir(), `wg-bench-${n}-`));
  const wgDir = join(dir, '.wg');
  mkdirSync(wgDir);
  let src = cache.get(n);
  if (!src || !existsSync(src)) {
    src = join(tmpdir(), `wg-bench-graph-${n}-${process.pid}.jsonl`);
    writeFileSync(src, generateGraph(n));
    cache.set(n, src);
  }
  copyFileSync(src, join(wgDir, 'graph.jsonl'));
  return { dir, wgDir, graph: join(wgDir, 'graph.jsonl'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function cleanupCache() {
  for (const f of cache.values()) rmSync(f, { force: true });
  cache.clear();
}

/** Runs a scenario module standalone: prints its rows as JSON. */
export async function standalone(meta, run) {
  if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(meta.url)) {
    try {
      const rows = await run();
      for (const row of rows) console.log(JSON.stringify(row));
    } finally {
      cleanupCache();
    }
  }
}
