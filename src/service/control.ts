/**
 * Starting and stopping the service process (SPEC §4): `start` launches a detached daemon and
 * returns once its socket answers; `stop` asks it to exit over the socket and waits for the
 * process to end (SIGKILL as a last resort, so no daemon is ever left behind).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { WgError } from '../core/errors.js';
import { processRunning } from '../agents/process-table.js';
import type { WgPaths } from '../store/paths.js';
import { request } from './ipc.js';
import { readServiceStateFile, type ServiceOverrides } from './service-files.js';

export function overridesToArgs(o: ServiceOverrides): string[] {
  const a: string[] = [];
  if (o.max_agents !== undefined) a.push('--max-agents', String(o.max_agents));
  if (o.poll_interval_ms !== undefined) a.push('--interval', `${o.poll_interval_ms}ms`);
  if (o.executor !== undefined) a.push('--executor', o.executor);
  if (o.model !== undefined) a.push('--model', o.model);
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function ping(paths: WgPaths): Promise<number | undefined> {
  try {
    const r = await request(paths, { cmd: 'ping' }, 1000);
    return r.ok ? (r.pid as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a detached daemon for `paths` (the caller has validated the config). `entry` is the wg script. */
export async function startService(paths: WgPaths, overrides: ServiceOverrides, entry: string): Promise<{ pid: number; already: boolean }> {
  const existing = await ping(paths);
  if (existing) return { pid: existing, already: true };
  mkdirSync(paths.serviceDir, { recursive: true });
  const logFd = openSync(paths.daemonLog, 'a');
  const child = spawn(process.execPath, [entry, '--dir', paths.dir, 'service', 'daemon', ...overridesToArgs(overrides)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, WG_AGENT_ID: '', WG_TASK_ID: '', WG_CLAIM_EPOCH: '' },
  });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  // `start` returns only once the socket answers.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pid = await ping(paths);
    if (pid) return { pid, already: pid !== child.pid };
    if (exited !== undefined) {
      // Lost a start race to another service: that one answers shortly.
      const other = await ping(paths);
      if (other) return { pid: other, already: true };
      if (exited === 0) continue;
      break;
    }
    await sleep(20);
  }
  const tail = existsSync(paths.daemonLog) ? readFileSync(paths.daemonLog, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
  throw new WgError('io', `the service did not come up${tail ? `: ${tail}` : ''}`, { hint: `see ${paths.daemonLog}` });
}

/** Asks the service to stop and waits until its process is gone (`killGraceMs`: agents' grace, when killing them). */
export async function stopService(paths: WgPaths, killAgents: boolean, killGraceMs: number): Promise<{ stopped: boolean; pid?: number }> {
  const state = readServiceStateFile(paths);
  const pid = await ping(paths);
  if (!pid) return { stopped: false };
  const r = await request(paths, { cmd: 'stop', kill_agents: killAgents }, 5000);
  if (!r.ok) throw new WgError('invalid_transition', r.error);
  const deadline = Date.now() + killGraceMs + 10_000;
  // processRunning, not kill(pid, 0): the exited daemon may linger as a zombie until PID 1
  // reaps it, and waiting for that made `stop` (and `restart`) hang for seconds.
  while (Date.now() < deadline && processRunning(pid)) await sleep(20);
  if (processRunning(pid)) {
    // Never leave a daemon behind.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return { stopped: true, pid: state?.pid ?? pid };
}

