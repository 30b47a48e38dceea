/**
 * Runs the built `wg` (dist/wg.mjs) as a real subprocess against temp directories.
 * Build first (`npm run build`; `npm test` does it).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WG_BIN = resolve(__dirname, '../../dist/wg.mjs');
if (!existsSync(WG_BIN)) throw new Error(`${WG_BIN} is missing — run 'npm run build' first`);

export interface WgResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws if it is not). */
  json<T = unknown>(): T;
}

/** A clean environment: no WG_* variables leak in from the caller. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WG_') && k !== 'NO_COLOR') env[k] = v;
  env.USER = 'tester';
  env.WG_USER = 'tester';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function toResult(r: SpawnSyncReturns<string> | { status: number | null; stdout: string; stderr: string }): WgResult {
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json<T>() {
      return JSON.parse(r.stdout) as T;
    },
  };
}

/** Runs `wg args…` synchronously in `cwd`. */
export function wg(cwd: string, args: string[], env: Record<string, string | undefined> = {}, input?: string): WgResult {
  const r = spawnSync(process.execPath, [WG_BIN, ...args], { cwd, env: cleanEnv(env), encoding: 'utf8', input, timeout: 60_000 });
  if (r.error) throw r.error;
  return toResult(r);
}

/** Runs `wg args…` asynchronously (for parallel/concurrency tests). */
export function wgAsync(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<WgResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WG_BIN, ...args], { cwd, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(toResult({ status: code, stdout, stderr })));
  });
}

/** A temp project directory with `wg init` done. Call `cleanup()` in afterEach/finally. */
export function tempProject(): { dir: string; wgDir: string; graphPath: string; run: (args: string[], env?: Record<string, string | undefined>) => WgResult; readGraph: () => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wg-test-'));
  const init = wg(dir, ['init']);
  if (init.code !== 0) throw new Error(`wg init failed: ${init.stderr}`);
  const wgDir = join(dir, '.wg');
  const graphPath = join(wgDir, 'graph.jsonl');
  return {
    dir,
    wgDir,
    graphPath,
    run: (args, env) => wg(dir, args, env),
    readGraph: () => readFileSync(graphPath, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parsed graph lines (tasks only). */
export function graphTasks(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => (o.kind ?? 'task') === 'task');
}

export interface WgSpawned {
  child: import('node:child_process').ChildProcess;
  pid: number;
  /** Settles when the process has exited and its output is drained (never rejects on a kill). */
  result: Promise<WgResult & { signal: NodeJS.Signals | null; ms: number }>;
}

/**
 * Starts `wg args…` and hands back the live child (for tests that must kill it by PID).
 * The caller owns the process: kill it in a finally/afterEach if it may still be running.
 */
export function wgSpawn(cwd: string, args: string[], env: Record<string, string | undefined> = {}): WgSpawned {
  const started = performance.now();
  const child = spawn(process.execPath, [WG_BIN, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn wg ${args.join(' ')}`);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<WgResult & { signal: NodeJS.Signals | null; ms: number }>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ ...toResult({ status: code, stdout, stderr }), signal, ms: performance.now() - started }));
  });
  return { child, pid: child.pid, result };
}

/** A bare temp directory (no `wg init`). Call `cleanup()` in afterEach/finally. */
export function bareTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'wg-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The lines of `.wg/log/operations.jsonl`, parsed (empty when the file does not exist yet). */
export function operations(wgDir: string): Array<Record<string, unknown>> {
  const path = join(wgDir, 'log', 'operations.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Writes `.wg/service/registry.json` with the given agents (minimal valid records). */
export function writeRegistry(wgDir: string, agents: Array<{ id: string; task_id: string; claim_epoch?: number; status?: string }>): string {
  const path = join(wgDir, 'service', 'registry.json');
  mkdirSync(join(wgDir, 'service'), { recursive: true });
  const reg = {
    agents: Object.fromEntries(
      agents.map((a) => [a.id, { id: a.id, pid: 999_999, task_id: a.task_id, claim_epoch: a.claim_epoch ?? 1, executor: 'shell', started_at: '2026-01-01T00:00:00Z', status: a.status ?? 'working' }]),
    ),
    next_agent_id: agents.length + 1,
  };
  writeFileSync(path, JSON.stringify(reg, null, 2) + '\n');
  return path;
}

/** Asserts the shape of a human error: one `error: …` line, optionally one `hint: …` line, no stack. */
export function isOneLineError(stderr: string): boolean {
  return /^error: [^\n]+\n(hint: [^\n]+\n)?$/.test(stderr) && !/\n\s+at /.test(stderr);
}

export type Project = ReturnType<typeof tempProject>;
/** A project whose commands run asynchronously, so concurrent tests overlap their waits. */
export interface AsyncProject extends Project {
  wg: (args: string[], env?: Record<string, string | undefined>) => Promise<WgResult>;
}

/** Like tempProject(), but `wg init` runs without blocking the test worker. */
export async function tempProjectAsync(): Promise<AsyncProject> {
  const dir = mkdtempSync(join(tmpdir(), 'wg-test-'));
  const init = await wgAsync(dir, ['init']);
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wg init failed: ${init.stderr}`);
  }
  const wgDir = join(dir, '.wg');
  const graphPath = join(wgDir, 'graph.jsonl');
  return {
    dir,
    wgDir,
    graphPath,
    run: (args, env) => wg(dir, args, env),
    wg: (args, env) => wgAsync(dir, args, env ?? {}),
    readGraph: () => readFileSync(graphPath, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Temp directories owned by the test that made them, removed in that test's afterEach (safe
 * with concurrent tests):
 *   const tmp = tempDirsPerTest(); afterEach((ctx) => tmp.cleanup(ctx));
 *   it('…', async (ctx) => { const q = await tmp.project(ctx); … });
 */
export function tempDirsPerTest(): {
  project: (ctx: { task: { id: string } }) => Promise<AsyncProject>;
  bare: (ctx: { task: { id: string } }) => { dir: string; cleanup: () => void };
  cleanup: (ctx: { task: { id: string } }) => void;
} {
  const owned = new Map<string, Array<() => void>>();
  const own = (ctx: { task: { id: string } }, fn: () => void): void => {
    const list = owned.get(ctx.task.id) ?? [];
    list.push(fn);
    owned.set(ctx.task.id, list);
  };
  return {
    async project(ctx) {
      const q = await tempProjectAsync();
      own(ctx, q.cleanup);
      return q;
    },
    bare(ctx) {
      const b = bareTempDir();
      own(ctx, b.cleanup);
      return b;
    },
    cleanup(ctx) {
      for (const fn of owned.get(ctx.task.id) ?? []) fn();
      owned.delete(ctx.task.id);
    },
  };
}

/**
 * Writes graph.jsonl directly (faster than one `wg add` per task): each task gets kind, a
 * title, status open and priority 10 unless given, and `before` is derived from `after`.
 */
export function seedGraph(graphPath: string, tasks: Array<Record<string, unknown> & { id: string }>): string {
  const before = new Map<string, string[]>();
  for (const t of tasks) for (const dep of (t.after as string[] | undefined) ?? []) before.set(dep, [...(before.get(dep) ?? []), t.id]);
  const text = tasks
    .map((t) => {
      const { id, ...rest } = t;
      const b = before.get(id);
      return JSON.stringify({ kind: 'task', id, title: id.toUpperCase(), status: 'open', priority: 10, ...(b ? { before: b } : {}), ...rest });
    })
    .join('\n');
  writeFileSync(graphPath, text + '\n');
  return text + '\n';
}
