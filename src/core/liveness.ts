/**
 * Liveness as the pure core sees it: for each agent id, alive or dead (and why). Built by the
 * service from the registry plus the process table (SPEC §4: exit seen, PID gone or reused,
 * lease expired, hard timeout). An agent id absent from the map is unknown — a claim it holds
 * is as stale as a dead agent's.
 */
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

/** Crash-loop guard: death #1 respawns at once, then 2 s, 4 s, 8 s … capped at 5 min. */
export function crashBackoffMs(deaths: number, baseMs = 1000, capMs = 5 * 60_000): number {
  if (deaths <= 1) return 0;
  return Math.min(capMs, baseMs * 2 ** (deaths - 1));
}

export const DEFAULT_MAX_RETRIES = 3;
