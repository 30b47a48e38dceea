/**
 * What happens when an agent dies — the one home of the rule (see docs/architecture.md). A death
 * is seen two ways: the service sees the process exit (service/exits.ts applies
 * `classifyExit` → `planExitWithUsage` → `agentAfterExit`), or nobody saw it and liveness
 * (core/liveness.ts `judgeAgent`) finds the agent dead, and the reconciler reclaims its task
 * (plans/reconcile.ts `planReconcile`, the service's tick and `wg sweep`). Either way a death of
 * the agent holding a task goes through `requeueAfterDeath`: the task back to open with its
 * claim released (epoch+1), the death counted in `retry_count`, a crash-loop back-off, and past
 * `max_retries` the task fails.
 *
 * For an exit the service saw:
 *   1. deliberate kill or crash? (`classifyExit`) — a kill by the service (stop, claim moved,
 *      task terminal) or by a CLI command that marked the agent dead first is deliberate: what
 *      happens to the task is that command's business (or the reconciler's). A hard timeout is
 *      not deliberate: it fails the task.
 *   2. what happens to the task (`planAgentExit`: exit 0 → done, non-zero → failed, timeout →
 *      failed, a signal nobody sent → a death), with the token usage and the session id the
 *      agent printed merged into the task (`planExitWithUsage`) — also when the agent had
 *      finished the task itself, as long as it still holds the claim at its epoch.
 *   3. what the registry says about the agent afterwards (`agentAfterExit`).
 */
import { companionId, holdsClaim, release } from '../claims.js';
import type { AgentStatus } from '../agent-status.js';
import type { FailureClass } from '../failure-class.js';
import type { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, type Actor, type Plan } from '../plan.js';
import { withFields, type Task, type TokenUsage } from '../task.js';
import { formatTimestamp } from '../time.js';
import { accepts, isTerminal } from '../transitions.js';
import { planDone, planFail } from './finish.js';

export const DEFAULT_MAX_RETRIES = 3;

/** Crash-loop guard: death #1 respawns at once, then 2 s, 4 s, 8 s … capped at 5 min. */
export function crashBackoffMs(deaths: number, baseMs = 1000, capMs = 5 * 60_000): number {
  if (deaths <= 1) return 0;
  return Math.min(capMs, baseMs * 2 ** (deaths - 1));
}

export interface ReclaimedClaim {
  task_id: string;
  agent: string;
  reason: string;
  /** The task failed: its retries were exhausted. */
  failed: boolean;
  retry_count: number;
  ready_after?: string;
}

/** How a death is counted (reconcile and agent exit alike). */
export interface DeathOptions {
  /** Default bound when a task has no `max_retries`. */
  maxRetries?: number;
  /** Failure class when retries are exhausted (default none: the Rust tool has none for a vanished agent; `failure_reason` says what happened). */
  failureClass?: FailureClass;
  /** Base of the crash-loop backoff in ms (default 1000). */
  backoffBaseMs?: number;
}

/** What happens to one task whose agent died: re-queued with backoff, or failed past the bound. */
export function requeueAfterDeath(task: Task, agent: string, reason: string, who: Actor, opts: DeathOptions = {}): { task: Task; claim: ReclaimedClaim } {
  const retry = (task.retry_count ?? 0) + 1;
  const max = task.max_retries ?? opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (retry > max) {
    const failureReason = `agent ${agent} ${reason}; retries exhausted (${retry - 1}/${max})`;
    const next = appendLog(
      release(task, 'failed', { retry_count: retry, failure_reason: failureReason, failure_class: opts.failureClass, completed_at: formatTimestamp(who.now) }),
      logEntry(who, `stale claim cleared: agent ${agent} ${reason}; failed after ${max} retries`),
    );
    return { task: next, claim: { task_id: task.id, agent, reason, failed: true, retry_count: retry } };
  }
  const delay = crashBackoffMs(retry, opts.backoffBaseMs);
  const readyAfter = delay > 0 ? formatTimestamp(new Date(who.now.getTime() + delay)) : undefined;
  const next = appendLog(
    release(task, 'open', { retry_count: retry, ready_after: readyAfter ?? task.ready_after }),
    logEntry(who, `stale claim cleared: agent ${agent} ${reason}${readyAfter ? ` (crash-loop backoff until ${readyAfter})` : ''}`),
  );
  return { task: next, claim: { task_id: task.id, agent, reason, failed: false, retry_count: retry, ...(readyAfter ? { ready_after: readyAfter } : {}) } };
}

export type AgentOutcome =
  | { kind: 'exited'; code: number }
  | { kind: 'timeout' }
  /** Terminated by a signal the service did not send (crash, OOM, kill -9): a death. */
  | { kind: 'signal'; signal: string };

export interface AgentExitResult {
  action: 'none' | 'done' | 'failed' | 'requeued';
  task?: Task;
  reclaimed?: ReclaimedClaim;
}

/** The failure of an LLM agent that ended its session without `wg done` / `wg fail`. */
export const SILENT_EXIT_REASON = 'agent exited without reporting (wg done / wg fail)';

/**
 * What the service found out, outside the graph lock, before it applies a clean exit (it runs
 * processes): the task's verify command and the landing of the agent's worktree branch
 * (service/work-loop.ts `finishCleanExit`).
 */
export interface ExitFinish {
  /** Log lines the done records (verify passed, the worktree merged or left for review). */
  notes?: string[];
  /** The task's verify command failed after a clean exit: the task fails with this reason. */
  verifyFailed?: string;
}

/**
 * What the agent's run says beyond its exit (read from its output by the caller; see
 * agents/executors/stream.ts): how its exit is to be read, and its own account of a failure.
 */
export interface ExitContext {
  /**
   * The agent reports its own outcome (`wg done` / `wg fail`): an LLM agent (claude, codex).
   * Its CLI exits 0 whenever the session ends, so exit 0 proves nothing: a task still held
   * at exit fails (SILENT_EXIT_REASON). False: the exit code is the outcome (shell, custom).
   */
  mustReport?: boolean;
  /** The agent's own error text (the stream's error, else its last stderr line), one line. */
  errorText?: string;
  /** An API error class read from the stream (`api-error429-rate-limit`, …). */
  failureClass?: FailureClass;
  /** `agency.auto_evaluate`: an LLM agent's failure waits for its evaluation (failed-pending-eval). */
  autoEvaluate?: boolean;
}

/** The task's failure when its agent's process ended while it still held the task (pure). */
export function exitFailure(agentId: string, outcome: Exclude<AgentOutcome, { kind: 'signal' }>, ctx: ExitContext = {}): { reason: string; failureClass: FailureClass } {
  const err = ctx.errorText ? `: ${ctx.errorText}` : '';
  if (outcome.kind === 'timeout') return { reason: `agent ${agentId} exceeded its hard timeout`, failureClass: 'agent-hard-timeout' };
  if (outcome.code === 0) return { reason: `${SILENT_EXIT_REASON}${err}`, failureClass: ctx.failureClass ?? 'agent-exit-nonzero' };
  return { reason: `agent ${agentId} exited with code ${outcome.code}${err}`, failureClass: ctx.failureClass ?? 'agent-exit-nonzero' };
}

/**
 * The agent's process ended while its task may still be in progress (SPEC §4). Nothing happens
 * unless the task is still held by this agent at this epoch (fenced like the agent itself
 * would be): an agent that ran `wg done` / `wg fail` has already decided.
 * - exit 0 → done, unless the agent must report (`ExitContext.mustReport`: claude, codex) —
 *   then failed, "agent exited without reporting (wg done / wg fail)";
 * - non-zero → failed (`agent-exit-nonzero`, or the API error class), with the agent's own
 *   error text; hard timeout → failed (`agent-hard-timeout`);
 * - an LLM agent's `agent-exit-nonzero` failure becomes `failed-pending-eval` when
 *   auto_evaluate is on and its `.evaluate-X` is waiting (as the Rust tool does);
 * - a crash (a signal nobody sent) → re-queued like any death.
 */
export function planAgentExit(graph: Graph, taskId: string, agentId: string, epoch: number, outcome: AgentOutcome, who: Actor, opts: DeathOptions & ExitFinish & { exit?: ExitContext } = {}): Plan<AgentExitResult> {
  const task = graph.get(taskId);
  if (!task || !holdsClaim(task, agentId, epoch) || !accepts('agent-exit', task.status)) return noChange({ action: 'none' });
  const asAgent: Actor = { ...who, actor: agentId, agentId, fenceTaskId: taskId, fenceEpoch: epoch };
  const ctx = opts.exit ?? {};
  if (outcome.kind === 'exited' && outcome.code === 0 && opts.verifyFailed) {
    const p = planFail(graph, taskId, asAgent, { reason: opts.verifyFailed });
    return { ...p, result: { action: 'failed', task: p.result.task } };
  }
  if (outcome.kind === 'exited' && outcome.code === 0 && !ctx.mustReport) {
    try {
      const p = planDone(graph, taskId, asAgent, { notes: opts.notes ?? [] });
      return { ...p, result: { action: 'done', task: p.result.task } };
    } catch (e) {
      // e.g. a dependency was re-opened meanwhile: fail honestly rather than fake a done.
      const p = planFail(graph, taskId, asAgent, { reason: `agent exited 0 but the task cannot be done: ${(e as Error).message}`, failureClass: 'agent-exit-nonzero' });
      return { ...p, result: { action: 'failed', task: p.result.task } };
    }
  }
  if (outcome.kind === 'exited' || outcome.kind === 'timeout') {
    const f = exitFailure(agentId, outcome, ctx);
    const p = planFail(graph, taskId, asAgent, f);
    const evalTask = graph.get(companionId('evaluate', taskId));
    const awaitEval = ctx.mustReport && ctx.autoEvaluate && f.failureClass === 'agent-exit-nonzero' && !!evalTask && !isTerminal(evalTask.status);
    if (!awaitEval) return { ...p, result: { action: 'failed', task: p.result.task } };
    const next = appendLog(withFields(p.result.task, { status: 'failed-pending-eval' }), logEntry(asAgent, `Task failed, pending evaluation (awaiting ${evalTask.id})`));
    return { writes: [next], ops: p.ops, result: { action: 'failed', task: next } };
  }
  const r = requeueAfterDeath(task, agentId, `was killed by ${outcome.signal}`, { ...who, actor: 'service' }, { failureClass: 'agent-exit-nonzero', ...opts });
  return { writes: [r.task], ops: [{ op: 'reclaim', task_id: taskId, detail: { agent: agentId, reason: r.claim.reason, failed: r.claim.failed } }], result: { action: r.claim.failed ? 'failed' : 'requeued', task: r.task, reclaimed: r.claim } };
}

/** How the process ended, as the supervisor saw it. */
export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** The service killed it, and why (`timeout` = its hard timeout). */
  killedBy?: string;
  /** An adopted agent vanished: no exit code is known. */
  inferred?: boolean;
}

/** The agent's registry record, as far as these rules read it. */
export interface ExitingAgent {
  id: string;
  task_id: string;
  claim_epoch?: number | undefined;
  status: AgentStatus;
}

export interface AgentUsage {
  session_id?: string;
  token_usage?: TokenUsage;
}

export type ExitClass = { deliberate: true } | { deliberate: false; outcome: AgentOutcome | undefined };

/** Deliberate kill vs crash (a registry status `dead` means a CLI command killed it on purpose). */
export function classifyExit(ex: ExitFacts, agent: Pick<ExitingAgent, 'status'>): ExitClass {
  if ((ex.killedBy !== undefined && ex.killedBy !== 'timeout') || agent.status === 'dead') return { deliberate: true };
  const outcome: AgentOutcome | undefined =
    ex.killedBy === 'timeout' ? { kind: 'timeout' } : ex.signal ? { kind: 'signal', signal: ex.signal } : ex.code !== null ? { kind: 'exited', code: ex.code } : undefined;
  return { deliberate: false, outcome };
}

/** Does the agent still hold the task at its own claim epoch? */
const stillHolds = (task: Task | undefined, agent: Pick<ExitingAgent, 'id' | 'claim_epoch'>): task is Task => holdsClaim(task, agent.id, agent.claim_epoch ?? 0);

const hasUsage = (u: AgentUsage): boolean => !!(u.token_usage || u.session_id);

export function withUsage(task: Task, usage: AgentUsage): Task {
  return { ...task, ...(usage.session_id ? { session_id: usage.session_id } : {}), ...(usage.token_usage ? { token_usage: usage.token_usage } : {}) };
}

/** The task side of a non-deliberate exit: planAgentExit, plus the agent's usage on the task. */
export function planExitWithUsage(graph: Graph, agent: ExitingAgent, outcome: AgentOutcome, usage: AgentUsage, who: Actor, opts: DeathOptions & ExitFinish & { exit?: ExitContext }): Plan<AgentExitResult> {
  const p = planAgentExit(graph, agent.task_id, agent.id, agent.claim_epoch ?? 0, outcome, who, opts);
  if (!hasUsage(usage)) return p;
  const t = p.result.task;
  if (t) {
    const merged = withUsage(t, usage);
    return { ...p, writes: p.writes.map((w) => (w.id === t.id ? merged : w)) };
  }
  // The agent finished the task itself (wg done / wg fail) and the exit changes nothing: the
  // usage still belongs on the task.
  const u = planUsageOnTask(graph, agent, usage);
  return { ...p, writes: [...p.writes, ...u.writes] };
}

/**
 * The agent's usage and session id onto its task, when it still holds the claim at its epoch —
 * never onto a task someone else holds now. Also after a deliberate kill (an agent stopped in
 * its grace period after its own `wg done` still spent those tokens on the task).
 */
export function planUsageOnTask(graph: Graph, agent: ExitingAgent, usage: AgentUsage): Plan<undefined> {
  const cur = graph.get(agent.task_id);
  if (!hasUsage(usage) || !stillHolds(cur, agent)) return noChange(undefined);
  return { writes: [withUsage(cur, usage)], ops: [], result: undefined };
}

/** One line for the registry's exit_reason and the log. */
export function exitReason(ex: ExitFacts): string {
  if (ex.killedBy) return `killed (${ex.killedBy})`;
  if (ex.signal) return `killed by ${ex.signal}`;
  return ex.inferred ? 'process exited (exit code unknown)' : `exited with code ${ex.code}`;
}

/** The registry fields an exit sets. */
export interface AgentExitRecord {
  status: 'done' | 'failed' | 'dead';
  exit_code: number | null;
  completed_at: string;
  exit_reason: string;
  session_id?: string;
  token_usage?: TokenUsage;
}

/**
 * The registry mirrors how the agent's own work ended: done or failed when the task ended that
 * way under its claim (also when an adopted agent's exit code is unknown), else dead. A record
 * already declared dead (by the CLI or a lease) keeps its status and its reason.
 */
export function agentAfterExit(
  current: { status: ExitingAgent['status']; exit_reason?: unknown; completed_at?: string | undefined },
  agent: ExitingAgent,
  ex: ExitFacts,
  cls: ExitClass,
  taskNow: Task | undefined,
  usage: AgentUsage,
  now: Date,
): AgentExitRecord {
  const underItsClaim = stillHolds(taskNow, agent);
  const own: AgentExitRecord['status'] =
    cls.deliberate || ex.signal || !underItsClaim ? 'dead' : taskNow.status === 'done' || taskNow.status === 'pending-eval' ? 'done' : taskNow.status === 'failed' ? 'failed' : 'dead';
  const wasDead = current.status === 'dead';
  return {
    status: wasDead ? 'dead' : own,
    exit_code: ex.code,
    completed_at: current.completed_at ?? formatTimestamp(now),
    exit_reason: wasDead && typeof current.exit_reason === 'string' && current.exit_reason ? current.exit_reason : exitReason(ex),
    ...(usage.session_id ? { session_id: usage.session_id } : {}),
    ...(usage.token_usage ? { token_usage: usage.token_usage } : {}),
  };
}
