/**
 * Claims (SPEC §3): taking one, giving one back, whether a claim is dead, whether an agent still
 * holds a task at its epoch, and the ids of a task's system companions. Every site that writes
 * `assigned`/`claim_epoch` goes through `claim()` or `release()`; nothing else bumps the epoch.
 *
 * THE EPOCH RULE: every change of ownership increments `claim_epoch` by one, and a release of a
 * task that goes back to the queue (or to failed) is such a change **whether or not anyone held
 * it**. Three rules used to coexist (always +1; +1 only when someone held it; "+1 when held,
 * else keep"). One rule means a fencing token is never reused across two lives of the task: an
 * agent started for an earlier attempt can never match the epoch of a later one, even when a
 * re-queue passed through an unclaimed state in between (a failed task re-queued by recover, a
 * cycle member re-opened, a rescued evaluation). The cost — an epoch that moves without a
 * holder — is nothing: the epoch is a counter, not a count of holders. (docs/decisions.md)
 */
import type { LivenessMap } from './liveness.js';
import { isAgentActor, withFields, type Task } from './task.js';
import { formatTimestamp } from './time.js';
import type { Status } from './transitions.js';

/** The epoch of the next owner (or of the next life in the queue). */
export const nextEpoch = (task: Task): number => (task.claim_epoch ?? 0) + 1;

/** The claimed copy of a task: in-progress, held by `holder`, epoch+1, `started_at` now. */
export function claim(task: Task, holder: string, now: Date, extra: Partial<Task> = {}): Task {
  return withFields(task, { status: 'in-progress', assigned: holder, claim_epoch: nextEpoch(task), started_at: formatTimestamp(now), ...extra });
}

/**
 * The released copy of a task: claim cleared, epoch+1 (the one rule above), the given status,
 * plus `extra` (counters, cleared timestamps…). The status is the caller's: a re-queue says
 * `open`, a death past its bound `failed`, a kill `releasedStatus(task.status)`.
 */
export function release(task: Task, status: Status, extra: Partial<Task> = {}): Task {
  return withFields(task, { ...extra, status, assigned: undefined, claim_epoch: nextEpoch(task) });
}

/** Does `agent` hold `task` (at `epoch`, when given)? The fencing question, asked everywhere. */
export function holdsClaim(task: Task | undefined, agent: string, epoch?: number): boolean {
  return !!task && task.assigned === agent && (epoch === undefined || (task.claim_epoch ?? 0) === epoch);
}

export interface DeadClaim {
  agent: string;
  /** The registry knows the agent (it died); false: it is unknown to the registry. */
  known: boolean;
  /** Why it is dead, as liveness reports it ("process 123 is gone", "lease expired", …). */
  reason?: string;
}

/**
 * The claim is held by an agent (`agent-N`) that is not alive — dead, or unknown to the
 * registry. Human claims are never dead: only their holder gives them back.
 */
export function deadClaim(task: Task, liveness: LivenessMap): DeadClaim | undefined {
  const agent = task.assigned;
  if (!agent || !isAgentActor(agent)) return undefined;
  const state = liveness.get(agent);
  if (state?.alive || state?.held) return undefined;
  return { agent, known: !!state, ...(state?.reason !== undefined ? { reason: state.reason } : {}) };
}

export const isDeadClaim = (task: Task, liveness: LivenessMap): boolean => deadClaim(task, liveness) !== undefined;

/** Is the task held by an agent that liveness says is alive? */
export const hasLiveAgent = (task: Task, liveness: LivenessMap): boolean => isAgentActor(task.assigned) && !!liveness.get(task.assigned!)?.alive;

/** System companions of a task: `.evaluate-X` (its evaluation), `.flip-X`, `.assign-X`. */
export const COMPANION_KINDS = ['evaluate', 'flip', 'assign'] as const;
export type CompanionKind = (typeof COMPANION_KINDS)[number];

export const companionId = (kind: CompanionKind, taskId: string): string => `.${kind}-${taskId}`;
export const companionIds = (taskId: string): string[] => COMPANION_KINDS.map((k) => companionId(k, taskId));

/** `.evaluate-x` → `x` (for `kind`, or any companion kind when omitted); undefined otherwise. */
export function companionSource(id: string, kind?: CompanionKind): string | undefined {
  for (const k of kind ? [kind] : COMPANION_KINDS) {
    const prefix = `.${k}-`;
    if (id.startsWith(prefix)) return id.slice(prefix.length);
  }
  return undefined;
}
