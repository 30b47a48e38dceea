/**
 * Runs the built `wg` (dist/wg.mjs) as a real subprocess. Build first (`npm run build`; `npm
 * test` does it). Projects to run it in: ./project.ts; the files it writes: ./files.ts.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

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

export interface WgSpawned {
  child: ChildProcess;
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

/** Asserts the shape of a human error: one `error: …` line, optionally one `hint: …` line, no stack. */
export function isOneLineError(stderr: string): boolean {
  return /^error: [^\n]+\n(hint: [^\n]+\n)?$/.test(stderr) && !/\n\s+at /.test(stderr);
}
