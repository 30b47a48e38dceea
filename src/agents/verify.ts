/**
 * The verify gate (`wg add --verify CMD`): `wg done` runs the task's command first — under bash,
 * in the task's worktree when there is one, in its own process group with a timeout — and a
 * non-zero exit refuses the done. What it printed (the last lines) goes to the task log and to
 * the agent, so the next step is obvious.
 */
import { spawn } from 'node:child_process';
import { killGroup } from './process-table.js';

export interface VerifyOutcome {
  ok: boolean;
  /** Exit code; null when killed (timeout). */
  code: number | null;
  timedOut: boolean;
  ms: number;
  /** The last lines of stdout+stderr. */
  tail: string[];
}

const TAIL_LINES = 20;

export function runVerify(command: string, opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; graceMs?: number }): Promise<VerifyOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      out += d.toString('utf8');
      // Keep the end only: a chatty test suite must not grow memory without bound.
      if (out.length > 64 * 1024) out = out.slice(-32 * 1024);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) void killGroup(child.pid, opts.graceMs ?? 2000);
    }, opts.timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      const tail = out.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-TAIL_LINES);
      resolve({ ok: code === 0 && !timedOut, code, timedOut, ms: Date.now() - started, tail });
    };
    child.on('error', (e) => {
      out += `\n${e.message}`;
      finish(127);
    });
    child.on('close', (code) => {
      // The command is done; anything it left running in its group goes with it.
      if (child.pid) void killGroup(child.pid, 0, { force: true });
      finish(code);
    });
  });
}

/** One line for the task log / the error message. */
export function describeVerify(command: string, r: VerifyOutcome): string {
  const secs = (r.ms / 1000).toFixed(1);
  if (r.ok) return `Verify passed (${secs}s): ${command}`;
  const why = r.timedOut ? 'timed out' : `exit ${r.code}`;
  const last = r.tail.at(-1);
  return `Verify failed (${why}, ${secs}s): ${command}${last ? ` — ${last}` : ''}`;
}
