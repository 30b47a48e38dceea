/**
 * Liveness — the one rule (SPEC §4). Whether an agent is alive is decided here, from data: its
 * registry record, what the process table said about its PID (gathered by the caller, see
 * agents/liveness.ts), and — in the service — what only the service knows (which agents it
 * supervises, whose exit it has seen). The CLI (`retry`, `reset`, `sweep`, `status`, `agents`,
 * `service status`) and the daemon call the same `judgeAgent`; the CLI simply knows less.
 *
 * An agent id absent from a LivenessMap is unknown — a claim it holds is as stale as a dead
 * agent's.
 */
import { isAliveStatus, isHeldStatus, type AgentStatus } from './agent-status.js';
import { parseTimestamp } from './time.js';

export interface AgentLiveness {
  alive: boolean;
  /** Why the agent is dead: "process exited", "PID 123 gone", "lease expired", … */
  reason?: string;
  /**
   * Not alive, yet not dead: parked or frozen by the Rust tool (core/agent-status.ts). Its claims
   * stand — nothing re-queues them — and it takes no dispatch slot.
   */
  held?: boolean;
}

export type LivenessMap = ReadonlyMap<string, AgentLiveness>;

/** The registry fields the rule reads (a structural subset of store/registry's AgentRecord). */
export interface AgentFacts {
  id: string;
  status: AgentStatus;
  exit_reason?: unknown;
  started_at: string;
  last_heartbeat?: string | undefined;
  host?: string | undefined;
  pid?: number | undefined;
}

/** What the process table said about the agent's PID (probed only for local agents with a PID). */
export interface ProcessFacts {
  /** Still the same process (PID alive and start time as recorded). */
  alive: boolean;
  /** Why not ("process 12 is gone", "PID 12 now belongs to another process"). */
  reason?: string | undefined;
  /** Stopped (SIGSTOP, a debugger): probed for the agents the service supervises. */
  stopped?: boolean;
}

/** What only the service knows. */
export interface ServiceKnowledge {
  /** The service watches this agent's process (its child, or adopted). */
  supervised: boolean;
  /** The service saw the process exit and has not yet applied the exit (next tick does). */
  exitPending: boolean;
}

export interface LivenessSettings {
  nowMs: number;
  heartbeatTimeoutMs: number;
  /** This host's name: agents of another host are judged by their lease only. */
  host: string;
}

export type AgentVerdict =
  | {
      alive: true;
      /** The service should renew its lease (last heartbeat older than a quarter of the timeout). */
      renewLease?: boolean;
      /** A live local process no service watches: the service adopts it (and its hard timeout). */
      adopt?: boolean;
    }
  | {
      alive: false;
      reason: string;
      /** Supervised but stopped past its lease: the service kills it (its task is then re-queued). */
      leaseExpired?: boolean;
      /** Parked or frozen (the Rust tool's): not dead — see AgentLiveness.held. */
      held?: boolean;
    };

/** An agent without a PID after this long never started (its spawn was lost). */
export const NEVER_STARTED_MS = 60_000;
/** The service renews a supervised agent's lease once a quarter of heartbeat_timeout has passed. */
export const LEASE_RENEW_FRACTION = 4;

const ms = (ts: string | undefined): number => (ts ? (parseTimestamp(ts)?.getTime() ?? 0) : 0);

/**
 * The verdict on one agent. `proc` is what the process table said (undefined when not probed:
 * another host's agent, or no PID yet); `svc` is the service's own knowledge (undefined in the CLI).
 */
export function judgeAgent(a: AgentFacts, proc: ProcessFacts | undefined, s: LivenessSettings, svc?: ServiceKnowledge): AgentVerdict {
  // Parked (exited on purpose) or frozen (SIGSTOPped) by the Rust tool: held, not dead — unless
  // frozen here and its process is gone (a stopped process keeps its PID; the caller probes it).
  if (isHeldStatus(a.status)) {
    if (a.status === 'frozen' && proc && !proc.alive) return { alive: false, reason: `is frozen, but ${proc.reason ?? 'its process is gone'}` };
    return { alive: false, held: true, reason: `is ${a.status}` };
  }
  if (!isAliveStatus(a.status)) return { alive: false, reason: `is ${a.status}${typeof a.exit_reason === 'string' ? ` (${a.exit_reason})` : ''}` };
  // Its exit is queued: the exit itself decides what happens to the task (done, failed, crash),
  // on the next tick. Declaring it dead now would make that exit look deliberate.
  if (svc?.exitPending) return { alive: true };
  const startedMs = ms(a.started_at);
  const local = !a.host || a.host === s.host;
  if (!local) {
    const hb = a.last_heartbeat ? ms(a.last_heartbeat) : startedMs;
    return s.nowMs - hb <= s.heartbeatTimeoutMs ? { alive: true } : { alive: false, reason: 'lease expired' };
  }
  if (a.pid === undefined) return s.nowMs - startedMs < NEVER_STARTED_MS ? { alive: true } : { alive: false, reason: 'never started' };
  const supervised = !!svc?.supervised;
  if (!supervised && proc && !proc.alive) return { alive: false, reason: proc.reason ?? 'process is gone' };
  if (!svc) return { alive: true };
  // The service renews the leases of the agents it watches (SPEC §4 signal 3) — but not for a
  // stopped process: it makes no progress, so its lease runs out after heartbeat_timeout, and
  // then it is killed and its task re-queued.
  const sinceHb = s.nowMs - (a.last_heartbeat ? ms(a.last_heartbeat) : 0);
  if (proc?.stopped) {
    if (sinceHb > s.heartbeatTimeoutMs) return { alive: false, reason: 'lease expired (process stopped)', leaseExpired: true };
    return supervised ? { alive: true } : { alive: true, adopt: true };
  }
  const renewLease = sinceHb > s.heartbeatTimeoutMs / LEASE_RENEW_FRACTION;
  return { alive: true, ...(renewLease ? { renewLease } : {}), ...(supervised ? {} : { adopt: true }) };
}
