/**
 * The process table as tests see it (Linux /proc): running vs zombie, process-group members,
 * and signalling by PID or group — never by name.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

/** `process.kill` that ignores a process already gone (negative target = process group). */
export function safeKill(target: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}
