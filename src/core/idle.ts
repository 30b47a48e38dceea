/**
 * Hung agents — the one rule (issue 9, point 7). An agent is hung when, for `idle_timeout`, all
 * three signs of life are absent:
 *   - no new output (its output.log kept its size and mtime);
 *   - no `wg` call from the agent (its `wg-call` marker, touched by every `wg` it runs, kept its
 *     mtime);
 *   - no CPU time used by any process in its process group (the sum of utime+stime over the
 *     group did not change), so a long build or test run inside the agent is not a hang.
 *
 * The facts are sampled by the caller (agents/activity.ts); this rule compares each sample with
 * the previous one and keeps the last time anything moved — on the caller's clock (the tick's
 * `now`), never on file mtimes, so an injected clock drives it completely. CPU used between two
 * samples is credited to the later one: the rule errs on the side of not killing.
 */

/** One look at an agent's signs of life. Keys are opaque: only a change matters. */
export interface ActivitySample {
  /** output.log's size and mtime ("" when it does not exist). */
  output: string;
  /** The agent's wg-call marker mtime ("" when it never called wg). */
  wgCall: string;
  /** utime+stime (clock ticks) summed over the processes in its group; undefined: unreadable. */
  cpuTicks: number | undefined;
}

export interface IdleState {
  /** The last time (ms, the caller's clock) any sign of life moved. */
  lastActivityMs: number;
  /** The last sample; undefined for an agent seen but not yet sampled (see seedActivity). */
  last: ActivitySample | undefined;
}

/**
 * A new agent, seen at `nowMs` but not sampled: its start is its activity. The /proc scan for it
 * waits for the next scheduled one (a scan on every spawn would cost each respawn ~10 ms); the
 * first sample then counts as activity too, so a hang can only be called later, never sooner.
 */
export const seedActivity = (nowMs: number): IdleState => ({ lastActivityMs: nowMs, last: undefined });

/**
 * The state after a sample taken at `nowMs`. `prev` undefined: the first look, which counts as
 * activity — what happened between the spawn (or a restart) and the first look is unknown, and
 * the agent may well have printed in between.
 */
export function observeActivity(prev: IdleState | undefined, sample: ActivitySample, nowMs: number): IdleState {
  if (!prev?.last) return { lastActivityMs: nowMs, last: sample };
  const moved = sample.output !== prev.last.output || sample.wgCall !== prev.last.wgCall || sample.cpuTicks !== prev.last.cpuTicks;
  return { lastActivityMs: moved ? nowMs : prev.lastActivityMs, last: sample };
}

export type IdleVerdict = { hung: false; idleMs: number; checkAtMs?: number } | { hung: true; idleMs: number; reason: string };

/**
 * Is the agent hung at `nowMs`? `idleTimeoutMs` 0 turns the rule off. `checkAtMs` is when the
 * agent would be hung if nothing moves (the service wakes then to look again).
 */
export function judgeIdle(state: IdleState, nowMs: number, idleTimeoutMs: number): IdleVerdict {
  const idleMs = Math.max(0, nowMs - state.lastActivityMs);
  if (idleTimeoutMs <= 0) return { hung: false, idleMs };
  // Unreadable CPU (no /proc) cannot prove the group idle: never call that a hang.
  if (state.last?.cpuTicks === undefined) return { hung: false, idleMs };
  if (idleMs >= idleTimeoutMs) return { hung: true, idleMs, reason: hungReason(idleTimeoutMs) };
  return { hung: false, idleMs, checkAtMs: state.lastActivityMs + idleTimeoutMs };
}

/** "hung: no output, no wg call, no CPU for 10m" (the agent's death reason and log entry). */
export function hungReason(idleTimeoutMs: number): string {
  return `hung: no output, no wg call, no CPU for ${formatSpan(idleTimeoutMs)}`;
}

/** A duration as config writes it: 10m, 1h30m, 45s, 1.5s, 800ms. */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  let s = ms / 1000;
  const parts: string[] = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${unit}`);
      s %= n;
    }
  }
  if (s) parts.push(`${s}s`);
  return parts.join('');
}
