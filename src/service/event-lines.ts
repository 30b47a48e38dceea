/**
 * The service's typed events as one human-readable line each, for `wg service start
 * --foreground` (a terminal watching the service work). Lifecycle only — spawns, exits,
 * reclaims, kills, deaths, failed spawns, pause/resume, start/stop; tick summaries and the
 * agency's bookkeeping stay in daemon.log.
 */
import type { ServiceEvent } from './events.js';

const exitHow = (code: number | null, signal: string | null): string => (signal ? `killed by ${signal}` : code === null ? 'exited (code unknown)' : `exited ${code}`);

const ACTIONS: Record<string, string> = {
  done: 'task done',
  failed: 'task failed',
  requeued: 'task re-queued',
  none: 'task unchanged',
};

/** The line for `e`, or undefined for events a human watching does not need. */
export function eventLine(e: ServiceEvent): string | undefined {
  switch (e.event) {
    case 'service:started': {
      const d = e.data;
      return `service started on ${d.dir} (PID ${d.pid}, max_agents ${d.max_agents}, executor ${d.executor})${d.paused ? ' — dispatcher PAUSED (wg service resume)' : ''}`;
    }
    case 'service:stopped':
      return `service stopped${e.data.kill_agents ? ' (agents killed)' : ''}`;
    case 'service:paused':
      return 'dispatcher paused: no new agents (wg service resume)';
    case 'service:resumed':
      return 'dispatcher resumed';
    case 'service:agents-killed':
      return e.data.agents.length ? `killed ${e.data.agents.join(', ')}` : undefined;
    case 'agent:spawned': {
      const d = e.data;
      return `spawn   ${d.agent} on ${d.task} (PID ${d.pid}, ${d.executor})`;
    }
    case 'agent:adopted':
      return `adopt   ${e.data.agent} on ${e.data.task} (PID ${e.data.pid}, left by an earlier service)`;
    case 'agent:exited': {
      const d = e.data;
      const by = d.killedBy ? ` (killed: ${d.killedBy})` : '';
      return `exit    ${d.agent} on ${d.task}: ${exitHow(d.code, d.signal)}${by} → ${ACTIONS[d.action] ?? d.action}`;
    }
    case 'agent:killed':
      return `kill    ${e.data.agent} on ${e.data.task}: ${e.data.reason}`;
    case 'agent:dead':
      return `dead    ${e.data.agent} on ${e.data.task}: ${e.data.reason}`;
    case 'claim:reclaimed': {
      const d = e.data;
      return `reclaim ${d.task} from ${d.agent} (${d.reason})${d.failed ? ' → failed: retries exhausted (wg retry ' + d.task + ')' : ' → re-queued'}`;
    }
    case 'spawn:failed':
      return `spawn failed for ${e.data.task} (${e.data.agent}): ${e.data.error}; next try after ${e.data.retry_after}`;
    case 'tick:error':
      return `tick error: ${e.data.error}`;
    default:
      return undefined;
  }
}

/** `HH:MM:SS line` for a terminal. */
export function stampedLine(e: ServiceEvent, now: Date): string | undefined {
  const line = eventLine(e);
  return line === undefined ? undefined : `${now.toISOString().slice(11, 19)} ${line}`;
}
