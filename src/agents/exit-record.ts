/**
 * The exit record: `agents/<id>/exit`, written by the agent's wrapper (agents/agent-wrapper.sh)
 * when the agent's command ends, before the wrapper itself exits. The wrapper is the agent's
 * process-group leader and outlives the service that started it, so an agent that finished
 * while no service ran (or while a restarted service had not yet adopted it) still has its exit
 * status on disk: the next service completes its task from this record instead of re-running
 * it (docs/service.md "Exactly once through restarts"). `agents/<id>/pid` is the wrapper's own
 * PID, written before it starts the command (an agent whose service died mid-spawn is adopted
 * from it). Both are written atomically (temp file + rename).
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExitRecord {
  /** The command's exit code (null when a signal ended it). */
  code: number | null;
  signal: string | null;
  /** The command could not be started (ENOENT, EACCES…): the spawn failed. */
  launch_error?: string;
  at: string;
}

export const exitRecordPath = (agentDir: string): string => join(agentDir, 'exit');
export const wrapperPidPath = (agentDir: string): string => join(agentDir, 'pid');

/**
 * The pid file is also the fence between a wrapper that starts late and a restarted service
 * that finds a launch without a PID: whoever creates the file first wins (O_EXCL). The wrapper
 * writes its PID (then runs the command); the service writes LAUNCH_LOST (then re-queues the
 * task), and a wrapper that finds the file already there runs nothing — so a task whose launch
 * was declared lost can never also run in that launch.
 */
export const LAUNCH_LOST = 'lost';

/** The wrapper's claim of its launch: false when the launch was declared lost first. */
export function claimLaunch(agentDir: string, pid: number): boolean {
  try {
    writeFileSync(wrapperPidPath(agentDir), `${pid}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** The service's claim that a launch without a PID is lost: false when the wrapper wrote its PID first. */
export function declareLaunchLost(agentDir: string): boolean {
  try {
    writeFileSync(wrapperPidPath(agentDir), `${LAUNCH_LOST}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') return true; // no agent directory: no wrapper can write its PID there
    throw e;
  }
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The record, or undefined when there is none (still running, or killed with its wrapper). */
export function readExitRecord(agentDir: string): ExitRecord | undefined {
  let text: string;
  try {
    text = readFileSync(exitRecordPath(agentDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<ExitRecord>;
    const code = typeof r.code === 'number' ? r.code : null;
    const signal = typeof r.signal === 'string' ? r.signal : null;
    return { code, signal, ...(typeof r.launch_error === 'string' ? { launch_error: r.launch_error } : {}), at: typeof r.at === 'string' ? r.at : writtenAt(exitRecordPath(agentDir)) };
  } catch {
    return undefined;
  }
}

/** The wrapper's PID from `agents/<id>/pid`, if it wrote one. */
export function readWrapperPid(agentDir: string): number | undefined {
  try {
    const n = Number(readFileSync(wrapperPidPath(agentDir), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** When the wrapper wrote its record (its mtime; the sh wrapper does not start `date` for it). */
function writtenAt(path: string): string {
  try {
    return new Date(statSync(path).mtimeMs).toISOString();
  } catch {
    return '';
  }
}
