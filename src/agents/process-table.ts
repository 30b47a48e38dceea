/**
 * The process table, as the service needs it: is a PID alive, is it still the same process
 * (start time from /proc, so a recycled PID is not mistaken for our agent), and killing a
 * whole process group (agents run in their own group, so grandchildren die with them).
 */
import { existsSync, readFileSync } from 'node:fs';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is `pid` a running process (a zombie is not)? A detached service is orphaned by design, so
 * after it exits it waits as a zombie until PID 1 reaps it — which a container's PID 1 may do
 * late or never. `kill(pid, 0)` succeeds on a zombie, so it alone cannot tell that the process
 * has ended; /proc can (without /proc, fall back to kill 0).
 */
export function processRunning(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat');
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); start time is field 22 → index 19.
    if (rest[0] === 'Z') return undefined; // a zombie is dead for our purposes
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Is `pid` still the process we started (same start time)? */
export function sameProcess(pid: number, procStart: string | undefined): { alive: boolean; reason?: string } {
  const now = procStartTime(pid);
  if (now === undefined) return pidAlive(pid) && !procStart ? { alive: true } : { alive: false, reason: `process ${pid} is gone` };
  if (procStart && now !== procStart) return { alive: false, reason: `PID ${pid} now belongs to another process` };
  return { alive: true };
}

/**
 * `sameProcess` plus the state letter, from one read of /proc/<pid>/stat (the service asks
 * both about every agent it watches on every tick).
 */
export function processFacts(pid: number, procStart: string | undefined): { alive: boolean; reason?: string; stopped: boolean } {
  let stat: string | undefined;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    stat = undefined;
  }
  const rest = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest?.[0];
  const start = state === undefined || state === 'Z' ? undefined : rest![19];
  if (start === undefined) return pidAlive(pid) && !procStart ? { alive: true, stopped: false } : { alive: false, reason: `process ${pid} is gone`, stopped: false };
  if (procStart && start !== procStart) return { alive: false, reason: `PID ${pid} now belongs to another process`, stopped: false };
  return { alive: true, stopped: state === 'T' || state === 't' };
}

/** Signal a process group; false if it no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Does any process remain in the group? */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM the group, then SIGKILL whatever is left after `graceMs` (SPEC §4). Resolves when
 * the group is gone (or after the SIGKILL, which cannot be refused).
 */
export async function killGroup(pgid: number, graceMs: number, opts: { force?: boolean } = {}): Promise<void> {
  if (!groupAlive(pgid)) return;
  if (opts.force) {
    signalGroup(pgid, 'SIGKILL');
    return;
  }
  signalGroup(pgid, 'SIGTERM');
  // A stopped (SIGSTOP) agent cannot act on SIGTERM until continued.
  signalGroup(pgid, 'SIGCONT');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
  signalGroup(pgid, 'SIGKILL');
}

/**
 * Is the process group `pgid` still the one our agent led? Yes while its leader is the same
 * process (start time), or — once the leader is gone — while other members remain: Linux does
 * not hand out a PID that is still in use as a process group id. If the PID now belongs to a
 * different process, the group is not ours and must not be signalled.
 */
export function groupIsOurs(pid: number, pgid: number, procStart: string | undefined): boolean {
  const start = procStartTime(pid);
  if (start !== undefined) return !procStart || start === procStart;
  return groupAlive(pgid);
}

/** killGroup, but only if the group still belongs to the agent we started. */
export async function killAgentGroup(pid: number, pgid: number, procStart: string | undefined, graceMs: number, opts: { force?: boolean } = {}): Promise<boolean> {
  if (!groupIsOurs(pid, pgid, procStart)) return false;
  await killGroup(pgid, graceMs, opts);
  return true;
}

/** The state letter of /proc/<pid>/stat (R, S, D, T = stopped, t = traced, Z …), if readable. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}
