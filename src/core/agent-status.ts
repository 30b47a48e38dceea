/**
 * Agent registry statuses (SPEC §4), the Rust tool's included (docs/rust-compat.md §5), and
 * what each means for liveness. wg itself writes starting, working, done, failed and dead; the
 * Rust tool also writes idle, stopping, parked and frozen, which wg reads and honours:
 *
 * - running — starting, working, idle, stopping: a process that should exist; alive while its
 *   PID is the same process (or, on another host, while its lease holds). `stopping` is a
 *   process the Rust tool's `wg kill` is terminating: not dead until it is gone.
 * - held — parked (exited on purpose by `wg wait`; its task is waiting) and frozen (SIGSTOPped
 *   by `wg service freeze`): not running work, but not dead either. Their claims stand, nothing
 *   re-queues, kills or reaps them, and they take no dispatch slot. A frozen agent whose PID
 *   is gone is dead.
 * - ended — done, failed, dead.
 */
export const AGENT_STATUSES = ['starting', 'working', 'idle', 'stopping', 'parked', 'frozen', 'done', 'failed', 'dead'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export type AgentStatusClass = 'running' | 'held' | 'ended';

export const AGENT_STATUS_CLASS: Readonly<Record<AgentStatus, AgentStatusClass>> = {
  starting: 'running',
  working: 'running',
  idle: 'running',
  stopping: 'running',
  parked: 'held',
  frozen: 'held',
  done: 'ended',
  failed: 'ended',
  dead: 'ended',
};

/** A process should be running: judge it by its PID (or lease). */
export const isAliveStatus = (s: AgentStatus): boolean => AGENT_STATUS_CLASS[s] === 'running';
/** Parked or frozen: not running work, not dead. */
export const isHeldStatus = (s: AgentStatus): boolean => AGENT_STATUS_CLASS[s] === 'held';
/** Finished: done, failed or dead (reapable). */
export const isEndedStatus = (s: AgentStatus): boolean => AGENT_STATUS_CLASS[s] === 'ended';
