/**
 * Processes as tests see them (Linux /proc): running vs zombie, process-group members,
 * signalling by PID or group — never by name — plus the one poll-wait (`waitFor`) and a tracker
 * of every child a test started (`Procs`), killed by PID in afterEach/finally.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { wgSpawn, type WgSpawned } from './wg.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes: then throws,
 * naming `what` and appending `explain()` (the state to debug from).
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10_000, intervalMs = 25, explain?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${explain ? `\n${explain()}` : ''}`);
    await sleep(intervalMs);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fields 3 (state), 5 (pgrp) and 22 (start time) of /proc/<pid>/stat. */
export function procStat(pid: number): { state: string; pgrp: number; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]), start: rest[19]! };
  } catch {
    return undefined;
  }
}

/** Is `pid` a running (not zombie) process? (PID 1 here may not reap orphans, so zombies linger.) */
export function processRunning(pid: number): boolean {
  const st = procStat(pid);
  return !!st && st.state !== 'Z' && st.state !== 'X';
}

/** The non-zombie processes of a process group, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(Number(name));
  }
  return out;
}

/** `kill -0 -PGID`: true when the kernel still knows a process in the group (zombies included). */
export function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `process.kill` that ignores a process already gone (negative target = process group). */
export function safeKill(target: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

/** A PID that certainly belongs to no running process (a child that has exited). */
export function deadPid(): number {
  const r = spawnSync('true');
  const pid = r.pid;
  if (!pid || processRunning(pid)) throw new Error('could not obtain a dead PID');
  return pid;
}

/** Every child a test started; `killAll()` in afterEach/finally kills whatever still runs. */
export class Procs {
  private readonly live = new Set<ChildProcess>();

  wg(cwd: string, args: string[], env: Record<string, string | undefined> = {}): WgSpawned {
    const s = wgSpawn(cwd, args, env);
    this.track(s.child);
    return s;
  }

  /** A plain node script (imports nothing from the project), e.g. a raw reader loop. */
  node(script: string, args: string[], cwd: string): { child: ChildProcess; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, ['-e', script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.track(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
      child.on('error', rej);
      child.on('close', (code) => res({ code, stdout, stderr }));
    });
    return { child, result };
  }

  private track(child: ChildProcess): void {
    this.live.add(child);
    child.on('exit', () => this.live.delete(child));
  }

  get running(): number {
    return this.live.size;
  }

  /** SIGKILLs (by PID) every tracked child that has not exited, and waits for them. */
  async killAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const child of this.live) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      waits.push(new Promise<void>((res) => child.once('exit', () => res())));
      safeKill(child.pid);
    }
    await Promise.all(waits);
    this.live.clear();
  }
}

/** How many descriptors of this process point at `target` (as /proc/self/fd shows it: a removed file ends in " (deleted)"). */
export function openDescriptorsOf(target: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) n++;
    } catch {
      // closed meanwhile (the directory's own descriptor, among others)
    }
  }
  return n;
}
