/**
 * When an agent's process ends, the service decides (pure, here) — see docs/architecture.md,
 * "What happens when an agent dies":
 *   1. deliberate kill or crash? (`classifyExit`) — a kill by the service (stop, claim moved,
 *      task terminal) or by a CLI command that marked the agent dead first is deliberate: what
 *      happens to the task is that command's business (or the reconciler's). A hard timeout is
 *      not deliberate: it fails the task.
 *   2. what happens to the task (`planExitWithUsage` → planAgentExit: exit 0 → done, non-zero →
 *      failed, timeout → failed, crash → re-queued as a death), with the token usage and the
 *      session id the agent printed merged into the task — also when the agent had finished
 *      the task itself, as long as it still holds the claim at its epoch.
 *   3. what the registry says about the agent afterwards (`agentAfterExit`).
 */
import { holdsClaim } from '../claims.js';
import type { Graph } from '../graph.js';
import type { Actor, Plan } from '../plan.js';
import type { Task, TokenUsage } from '../task.js';
import { formatTimestamp } from '../time.js';
import { planAgentExit, type AgentExitResult, type AgentOutcome } from './dispatch.js';
import type { ReconcileOptions } from './reconcile.js';

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
  status: 'starting' | 'working' | 'done' | 'failed' | 'dead';
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
export function planExitWithUsage(graph: Graph, agent: ExitingAgent, outcome: AgentOutcome, usage: AgentUsage, who: Actor, opts: ReconcileOptions): Plan<AgentExitResult> {
  const p = planAgentExit(graph, agent.task_id, agent.id, agent.claim_epoch ?? 0, outcome, who, opts);
  if (!hasUsage(usage)) return p;
  const t = p.result.task;
  if (t) {
    const merged = withUsage(t, usage);
    return { ...p, writes: p.writes.map((w) => (w.id === t.id ? merged : w)) };
  }
  // The agent finished the task itself (wg done / wg fail) and the exit changes nothing: the
  // usage still belongs on the task — never onto a task someone else holds now.
  const cur = graph.get(agent.task_id);
  if (stillHolds(cur, agent)) return { ...p, writes: [...p.writes, withUsage(cur, usage)] };
  return p;
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
    ...(!cls.deliberate && usage.session_id ? { session_id: usage.session_id } : {}),
    ...(!cls.deliberate && usage.token_usage ? { token_usage: usage.token_usage } : {}),
  };
}
