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

/** Fields of /proc/<pid>/stat that identify a process: its state, its process group, its start time. */
export interface ProcIdentity {
  state: string;
  pgrp: number;
  start: string;
}

/** /proc/<pid>/stat fields 3, 5 and 22, or undefined when there is no such process (or no /proc). */
export function procIdentity(pid: number): ProcIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgrp: Number(rest[2]), start: rest[19]! };
  } catch {
    return undefined;
  }
}

let ownGroup: number | undefined | null = null;

/**
 * This process's own process group, from /proc/self/stat (undefined without /proc). In a PID
 * namespace whose group leader lives outside, the kernel shows 0: no process visible in here
 * belongs to that group, so no target can equal it.
 */
export function ownProcessGroup(): number | undefined {
  if (ownGroup === null) ownGroup = procIdentity(process.pid)?.pgrp;
  return ownGroup;
}

/** What a registry record claims about an agent's process. Unvalidated on purpose: it may come from a hand-edited file. */
export interface SignalTarget {
  pid: unknown;
  pgid: unknown;
  procStart: unknown;
}

export type TargetCheck =
  | { ok: true; pid: number; pgid: number }
  | {
      ok: false;
      /** Why the target may not be signalled, for the user ("process group 1 is …"). */
      reason: string;
      /** The process is simply gone (or its PID reused): a dead agent, nothing suspicious. */
      gone?: true;
    };

const isPid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 1;

/**
 * May wg signal the process group `pgid` of the agent `pid`? Only when it is provably the agent
 * wg started (issue 14): pid and pgid are integers above 1, the group is not wg's own, the PID
 * is a live process whose start time is the recorded one, and whose real process group (from
 * /proc/<pid>/stat) is `pgid`. Anything else — a corrupt or hand-edited registry (`"pgid": 1`
 * would be kill(-1): every process on the machine), a recycled PID, a record without a start
 * time, a host without /proc — is refused with the reason; the caller treats the agent as dead.
 */
export function checkSignalTarget(t: SignalTarget): TargetCheck {
  const { pid, pgid, procStart } = t;
  if (!isPid(pid)) return { ok: false, reason: `its pid ${JSON.stringify(pid ?? null)} is not a process wg could have started` };
  if (!isPid(pgid)) return { ok: false, reason: `its process group ${JSON.stringify(pgid ?? null)} is not one wg could have started` };
  if (pgid === ownProcessGroup() || pid === process.pid || pgid === process.pid) return { ok: false, reason: `process group ${pgid} is wg's own` };
  if (typeof procStart !== 'string' || !/^\d+$/.test(procStart)) return { ok: false, reason: `no start time is recorded for PID ${pid}, so it cannot be proven to be the agent wg started` };
  const id = procIdentity(pid);
  if (!id) {
    if (!existsSync('/proc/self/stat')) return { ok: false, reason: 'this system has no /proc: a process cannot be proven to be the agent wg started' };
    return { ok: false, reason: `process ${pid} is gone`, gone: true };
  }
  if (id.start !== procStart) return { ok: false, reason: `PID ${pid} now belongs to another process`, gone: true };
  if (id.pgrp !== pgid) return { ok: false, reason: `process group ${pgid} is not PID ${pid}'s (its group is ${id.pgrp})` };
  // A zombie leader with the recorded start time is still our agent, and it holds its PID (so
  // its group id): members left in the group (grandchildren) are the agent's.
  return { ok: true, pid, pgid };
}

/**
 * Signal a process group; false if it no longer exists. Never group 0 or 1 (kill(-1) signals
 * every process), a negative or fractional id, or wg's own group: whatever the caller checked.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!isPid(pgid) || pgid === ownProcessGroup()) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Does any process remain in the group? */
export function groupAlive(pgid: number): boolean {
  if (!isPid(pgid)) return false;
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
 * the group is gone (or after the SIGKILL, which cannot be refused). Call it only for a group
 * `checkSignalTarget` accepted: once the leader is verified, the group stays the agent's while
 * any member remains (Linux keeps a PID reserved while a process group of that id exists).
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
 * Is the process group `pgid` still the one our agent led? Without `verified`: only when
 * `checkSignalTarget` proves it. With `verified` (the supervisor's own child, which it started
 * as a group leader, or an agent it adopted after that check): while the leader is the same
 * process, and once the leader is gone, while members remain — Linux does not hand out a PID
 * still in use as a process group id — so leftover grandchildren can still be killed.
 */
export function groupIsOurs(pid: number, pgid: number, procStart: string | undefined, verified = false): boolean {
  if (!verified) return checkSignalTarget({ pid, pgid, procStart }).ok;
  if (!isPid(pid) || !isPid(pgid) || pgid === ownProcessGroup() || pgid === process.pid) return false;
  const id = procIdentity(pid);
  if (id) return procStart === undefined || id.start === procStart;
  return groupAlive(pgid);
}

/** What became of a request to kill an agent's group. */
export interface GroupKill {
  signalled: boolean;
  /** Set when the record failed the check for a reason other than the process being gone. */
  refused?: string;
}

/** killGroup, but only if the record provably names the agent we started (checkSignalTarget). */
export async function killAgentGroup(target: SignalTarget, graceMs: number, opts: { force?: boolean } = {}): Promise<GroupKill> {
  const check = checkSignalTarget(target);
  if (!check.ok) return check.gone ? { signalled: false } : { signalled: false, refused: check.reason };
  await killGroup(check.pgid, graceMs, opts);
  return { signalled: true };
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
