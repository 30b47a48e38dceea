/**
 * Liveness of registered agents as any process on this host can judge it (no supervision):
 * alive-status agents are alive while their PID is the same process (start time checked);
 * another host's agents only by their lease. Used by the CLI (`retry`, `reset`, `sweep`,
 * `service status`, `agents`) — the service has the same rules plus exit events.
 */
import { hostname } from 'node:os';
import type { AgentLiveness } from '../core/liveness.js';
import { parseTimestamp } from '../core/time.js';
import { isAliveStatus, isHeldStatus, type AgentRecord, type Registry } from '../store/registry.js';
import { sameProcess } from './process-table.js';

const NEVER_STARTED_MS = 60_000;

export function agentLiveness(a: AgentRecord, nowMs: number, heartbeatTimeoutMs: number, host = hostname()): AgentLiveness {
  if (isHeldStatus(a.status)) return heldLiveness(a, host);
  if (!isAliveStatus(a.status)) return { alive: false, reason: `is ${a.status}${typeof a.exit_reason === 'string' ? ` (${a.exit_reason})` : ''}` };
  const startedMs = parseTimestamp(a.started_at)?.getTime() ?? 0;
  if (a.host && a.host !== host) {
    const hb = a.last_heartbeat ? (parseTimestamp(a.last_heartbeat)?.getTime() ?? 0) : startedMs;
    return nowMs - hb <= heartbeatTimeoutMs ? { alive: true } : { alive: false, reason: 'lease expired' };
  }
  if (a.pid === undefined) return nowMs - startedMs < NEVER_STARTED_MS ? { alive: true } : { alive: false, reason: 'never started' };
  const s = sameProcess(a.pid, a.proc_start);
  return s.alive ? { alive: true } : { alive: false, reason: s.reason ?? 'process is gone' };
}

/**
 * A parked or frozen agent (the Rust tool's): held, not dead — unless it is frozen here and its
 * process is gone (a stopped process keeps its PID; a parked one exited on purpose).
 */
function heldLiveness(a: AgentRecord, host: string): AgentLiveness {
  const held: AgentLiveness = { alive: false, held: true, reason: `is ${a.status}` };
  if (a.status !== 'frozen' || a.pid === undefined || (a.host && a.host !== host)) return held;
  const s = sameProcess(a.pid, a.proc_start);
  return s.alive ? held : { alive: false, reason: `is frozen, but ${s.reason ?? 'its process is gone'}` };
}

export function registryLiveness(reg: Registry, nowMs: number, heartbeatTimeoutMs: number): Map<string, AgentLiveness> {
  const host = hostname();
  const m = new Map<string, AgentLiveness>();
  for (const a of Object.values(reg.agents)) m.set(a.id, agentLiveness(a, nowMs, heartbeatTimeoutMs, host));
  return m;
}
