/**
 * `wg retry ID` (SPEC §5): re-queue a failed, incomplete or stuck task, killing its live agent,
 * and eagerly clear stale claims downstream. Idempotent: a second retry inside
 * `retry_debounce` is a no-op that says so, and it never targets an agent spawned after the
 * first (the plan names the agent to kill, captured under the lock, not "whoever holds it").
 */
import { WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { deadClaim, hasLiveAgent, release } from '../claims.js';
import type { LivenessMap } from '../liveness.js';
import { DEFAULT_MAX_RETRIES } from './agent-death.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { isSystemId, type Task } from '../task.js';
import { parseTimestamp } from '../time.js';
import { accepts, releasedStatus, requireFrom } from '../transitions.js';

/** Every retry writes a log entry starting with this; the debounce looks for it. */
export const RETRY_LOG_PREFIX = 'Retry requested';

export interface RetryOptions {
  reason?: string;
  /**
   * `--fresh` (the Rust tool's): nothing of the previous attempt is carried over — its agent
   * session (`session_id`) and checkpoint are cleared. (The Rust tool also discards the task's
   * worktree; wg keeps none.)
   */
  fresh?: boolean;
  debounceMs: number;
  maxRetries?: number;
}

export interface RetryResult {
  task: Task;
  /** Why nothing was done, when nothing was done. */
  noop?: string;
  /** The agent (holder before the retry) whose process group must be killed. */
  kill?: string;
  /** Downstream tasks whose stale claims were cleared. */
  cleared: string[];
}

function lastRetryMs(task: Task): number | undefined {
  const log = task.log ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    if (log[i]!.message.startsWith(RETRY_LOG_PREFIX)) return parseTimestamp(log[i]!.timestamp)?.getTime();
  }
  return undefined;
}

/** Downstream (transitive dependents, not system, not terminal) claims held by dead/unknown agents. */
export function clearDownstreamStaleClaims(graph: Graph, seed: string, liveness: LivenessMap, who: Actor, message: string): Task[] {
  const writes: Task[] = [];
  for (const id of graph.closure([seed], 'forward')) {
    if (id === seed) continue;
    const t = graph.get(id)!;
    const dead = isSystemId(id) || !accepts('clear-stale-claim', t.status) ? undefined : deadClaim(t, liveness);
    if (!dead) continue;
    writes.push(appendLog(release(t, releasedStatus(t.status)), logEntry(who, `${message} (was ${dead.agent}, ${dead.reason ?? 'unknown to the registry'})`)));
  }
  return writes;
}

export function planRetry(graph: Graph, id: string, liveness: LivenessMap, who: Actor, opts: RetryOptions): Plan<RetryResult> {
  const task = requireTask(graph, id);
  const last = lastRetryMs(task);
  if (last !== undefined && who.now.getTime() - last < opts.debounceMs) {
    const ago = Math.max(0, Math.round((who.now.getTime() - last) / 100) / 10);
    return noChange({ task, noop: `'${id}' was retried ${ago}s ago (within retry_debounce); nothing done`, cleared: [] });
  }
  const holder = task.assigned;
  const holderAlive = hasLiveAgent(task, liveness);
  if (task.status === 'open' && !holder) {
    return noChange({ task, noop: `'${id}' is already open and unclaimed; nothing to retry`, cleared: [] });
  }
  // in-progress, open with a (stale) claim, failed, incomplete
  requireFrom('retry', task, 'retry it');
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  const count = task.retry_count ?? 0;
  if (count >= max) {
    throw new WgError('invalid_transition', `task '${id}' has been re-queued ${count} times (max_retries ${max}) — cannot retry it`, {
      hint: `raise the limit with 'wg edit ${id} --max-retries ${max + 1}', or start over with 'wg reset ${id}'`,
    });
  }
  const from = task.status === 'open' ? 'open (stale claim)' : task.status;
  const msg = `${RETRY_LOG_PREFIX} from ${from} (attempt ${count + 2})${holder ? `; ${holderAlive ? 'killing' : 'releasing'} ${holder}` : ''}${opts.reason ? ` — reason: ${opts.reason}` : ''}`;
  const next = appendLog(
    release(task, 'open', {
      retry_count: count + 1,
      failure_reason: undefined,
      failure_class: undefined,
      ready_after: undefined,
      ...(opts.fresh ? { session_id: undefined, checkpoint: undefined } : {}),
    }),
    logEntry(who, opts.fresh ? `${msg} (fresh start)` : msg),
  );
  const downstream = clearDownstreamStaleClaims(graph, id, liveness, who, `stale claim cleared via retry of ${id}`);
  return {
    writes: [next, ...downstream],
    ops: [{ op: 'retry', task_id: id, detail: { from: task.status, retry_count: count + 1, ...(holder ? { released: holder } : {}), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.fresh ? { fresh: true } : {}), cleared: downstream.map((d) => d.id) } }],
    // The graph changes first (claim released, epoch+1), then the old agent is killed: fenced,
    // it can no longer touch the task, and the service may respawn at once.
    kills: holderAlive ? [{ agent: holder!, reason: `killed by wg retry ${id}` }] : [],
    result: { task: next, ...(holderAlive ? { kill: holder! } : {}), cleared: downstream.map((d) => d.id) },
  };
}
