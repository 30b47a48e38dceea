/**
 * The agent wrapper (built to dist/agent-wrapper.mjs): `node agent-wrapper.mjs AGENT_DIR CMD
 * ARGS…`. The service starts it as the leader of the agent's process group; it starts the
 * agent's command with the same stdin, stdout and stderr, and when the command ends (or could not
 * start: `launch_error`) writes the exit record (agents/exit-record.ts) before exiting the same
 * way (same code, or the same signal re-raised). Nothing else: the service owns every rule.
 *
 * Why a wrapper: an agent outlives the service that started it (restarts, kill -9), and a
 * process that is not your child has no exit status you can read. The record makes a finished
 * agent's outcome durable, so a restarted service completes its task instead of running it
 * again.
 */
import { spawn } from 'node:child_process';
import { claimLaunch, exitRecordPath, writeAtomic, type ExitRecord } from './exit-record.js';

function record(dir: string, r: Omit<ExitRecord, 'at'>): void {
  try {
    writeAtomic(exitRecordPath(dir), `${JSON.stringify({ ...r, at: new Date().toISOString() })}\n`);
  } catch {
    // the agent dir is gone: nobody is left to read it
  }
}

function main(): void {
  const [dir, cmd, ...args] = process.argv.slice(2);
  if (!dir || !cmd) {
    process.stderr.write('usage: agent-wrapper AGENT_DIR CMD [ARGS…]\n');
    process.exit(2);
  }
  // A restarted service declared this launch lost before we got here (its task is re-queued):
  // run nothing. Otherwise our PID is on record before the command starts.
  if (!claimLaunch(dir, process.pid)) process.exit(0);
  const child = spawn(cmd, args, { stdio: ['inherit', 'inherit', 'inherit'] });
  // Signals are sent to the whole group (the service, `wg kill`): they reach the command
  // directly. The wrapper outlives a SIGTERM/SIGINT/SIGHUP so that the command keeps its grace
  // period (a trap that still reports) and its end is recorded; SIGKILL ends both.
  const waitOut = (): void => undefined;
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, waitOut);
  child.once('error', (e) => {
    record(dir, { code: null, signal: null, launch_error: e.message });
    process.exit(127);
  });
  child.once('exit', (code, signal) => {
    record(dir, { code, signal });
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      // a signal the wrapper ignores or survives: exit as a shell would
      setTimeout(() => process.exit(128), 100).unref();
      return;
    }
    process.exit(code ?? 1);
  });
}

main();
