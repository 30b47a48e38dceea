/**
 * A Plan is what a pure rule returns: every effect it wants — the task lines to write (changed
 * or new) and the agents to kill — the provenance entries, and a result for the renderer. It is
 * plain data (JSON-serializable), so `--dry-run`/`--json` print exactly what the real run does
 * (as changesets' ReleasePlan). One apply path runs it (src/apply.ts: write under the graph
 * lock → kill → kick the service). Nothing in src/core touches the disk, the clock or the
 * environment.
 */
import { holdsClaim } from './claims.js';
import { WgError } from './errors.js';
import type { Graph } from './graph.js';
import { nearestId } from './ids.js';
import { withFields, type LogEntry, type Task } from './task.js';
import { formatTimestamp } from './time.js';

export interface OperationRecord {
  op: string;
  task_id?: string;
  detail?: Record<string, unknown>;
}

/** An agent whose process group the plan stops: SIGTERM, then SIGKILL after kill_grace (at once with `force`). */
export interface Kill {
  agent: string;
  /** Recorded as the agent's exit reason in the registry. */
  reason: string;
  force?: boolean;
}

export interface Plan<R> {
  /** Changed tasks (replaced in place) and new tasks (appended), in the order given. */
  writes: Task[];
  ops: OperationRecord[];
  /** Agents to kill once the writes are durable (absent: none). */
  kills?: Kill[];
  result: R;
}

/** Who is acting, and when. `agentId`/`fenceTaskId`/`fenceEpoch` come from WG_AGENT_ID etc. */
export interface Actor {
  now: Date;
  /** The claimant/actor name: --actor, else $WG_AGENT_ID, else $WG_USER, else $USER. */
  actor: string;
  /** The human behind the command ($WG_USER or $USER), recorded in log entries. */
  user?: string;
  agentId?: string;
  fenceTaskId?: string;
  fenceEpoch?: number;
}

export const noChange = <R>(result: R): Plan<R> => ({ writes: [], ops: [], result });

export function requireTask(graph: Graph, id: string): Task {
  const t = graph.get(id);
  if (t) return t;
  const near = nearestId(id, graph.tasks.keys());
  throw new WgError('not_found', `task '${id}' not found`, near ? { hint: `did you mean '${near}'?` } : { hint: "run 'wg list' to see task ids" });
}

export function logEntry(who: Actor, message: string, actor: string | undefined = who.actor): LogEntry {
  // Field order as the Rust tool writes it: timestamp, actor, user, message.
  return {
    timestamp: formatTimestamp(who.now),
    ...(actor ? { actor } : {}),
    ...(who.user ? { user: who.user } : {}),
    message,
  };
}

export function appendLog(task: Task, entry: LogEntry): Task {
  return withFields(task, { log: [...(task.log ?? []), entry] });
}

/**
 * Fencing (SPEC §3). With WG_AGENT_ID set, a write to the agent's own task needs the claim to
 * still be (agent, epoch); a write to another task needs that task not to be held by someone
 * else. Anything else is a zombie writing into work it lost: exit 3, nothing changed.
 */
export function checkFence(task: Task, who: Actor): void {
  if (!who.agentId) return;
  const own = !who.fenceTaskId || who.fenceTaskId === task.id;
  const epoch = task.claim_epoch ?? 0;
  const holds = holdsClaim(task, who.agentId, own ? who.fenceEpoch : undefined);
  const ok = own ? holds : !task.assigned || task.assigned === who.agentId;
  if (ok) return;
  throw new WgError('claim_lost', `claim lost: task '${task.id}' is now held by ${task.assigned ?? 'nobody'} (epoch ${epoch})`, {
    hint: 'stop working on this task: another agent or a human owns it now',
  });
}

/**
 * An agent's write that touches no task of its own (a heartbeat, a message): its own claim
 * (WG_TASK_ID at its epoch) must still hold. Nothing to check for a human, an agent with no
 * task, or a task that is gone.
 */
export function checkOwnFence(graph: Pick<Graph, 'get'>, who: Actor): void {
  if (!who.agentId || !who.fenceTaskId) return;
  const own = graph.get(who.fenceTaskId);
  if (own) checkFence(own, who);
}
