/**
 * Runs the built `wg` (dist/wg.mjs) as a real subprocess against temp directories.
 * Build first (`npm run build`; `npm test` does it).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
