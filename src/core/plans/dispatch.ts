/**
 * The dispatcher's pure half (SPEC §4): which ready tasks to spawn now, why the others wait,
 * the claim written before a process starts, its rollback when the spawn fails, and what to do
 * with a task whose agent exited while still holding it.
 */
import { claim, deadClaim, holdsClaim, release } from '../claims.js';
import type { Graph } from '../graph.js';
import type { LivenessMap } from '../liveness.js';
import { appendLog, logEntry, noChange, type Actor, type Plan } from '../plan.js';
import { byDispatchOrder, readyTasks } from '../readiness.js';
import type { Task } from '../task.js';
import { parseTimestamp } from '../time.js';
import { accepts } from '../transitions.js';
import { planDone, planFail } from './finish.js';
import { requeueAfterDeath, type ReclaimedClaim, type ReconcileOptions } from './reconcile.js';

export type WaitReason =
  | { kind: 'stale-claim'; agent: string; detail: string }
  | { kind: 'claimed'; holder: string }
  | { kind: 'max-agents'; alive: number; max: number }
  | { kind: 'paused' }
  | { kind: 'settling'; untilMs: number }
  | { kind: 'executor-missing'; executor: string; detail: string };

export interface DispatchInput {
  now: Date;
  maxAgents: number;
  aliveAgents: number;
  paused: boolean;
  settlingDelayMs: number;
  liveness: LivenessMap;
  /** Resolves a task's executor; returns an error text when it cannot run here. */
  executorFor: (task: Task) => { executor: string; missing?: string };
  /**
   * The ready tasks in file order, when the caller keeps them (the service's ReadySet, current
   * from the live graph's changes); absent: `readyTasks(graph, now)`, a pass over every task.
   */
  ready?: readonly Task[];
}

export interface DispatchDecision {
  spawn: Array<{ task: Task; executor: string }>;
  waiting: Array<{ task: Task; reason: WaitReason }>;
}

/** Log messages that record a user's edit of a task (see plans/edit.ts, plans/deps.ts). */
const EDIT_MESSAGE = /^(Edited: |Now depends on |No longer depends on )/;

/**
 * When a user last shaped the task: its creation or its newest edit. Service actions (spawns,
 * reclaims, retries) do not count, so recovery is never held back by the settling delay.
 */
export function lastChangeMs(task: Task): number {
  let t = task.created_at ? (parseTimestamp(task.created_at)?.getTime() ?? 0) : 0;
  const log = task.log ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (EDIT_MESSAGE.test(e.message)) {
      t = Math.max(t, parseTimestamp(e.timestamp)?.getTime() ?? 0);
      break;
    }
  }
  return t;
}

/**
 * Ready tasks in dispatch order, split into "spawn now" and "waiting, because …". The
 * `waiting` list is what `wg service status` shows when nothing runs.
 */
export function decideDispatch(graph: Graph, input: DispatchInput): DispatchDecision {
  const spawn: DispatchDecision['spawn'] = [];
  const waiting: DispatchDecision['waiting'] = [];
  let slots = Math.max(0, input.maxAgents - input.aliveAgents);
  const nowMs = input.now.getTime();
  for (const row of byDispatchOrder(input.ready ?? readyTasks(graph, input.now))) {
    // Whole task: the executor choice and the settling delay read fields a row lacks (exec, log).
    const task = graph.get(row.id)!;
    if (task.assigned) {
      const dead = deadClaim(task, input.liveness);
      if (dead) waiting.push({ task, reason: { kind: 'stale-claim', agent: dead.agent, detail: dead.known ? (dead.reason ?? 'dead') : 'unknown to the registry' } });
      else waiting.push({ task, reason: { kind: 'claimed', holder: task.assigned } });
      continue;
    }
    if (input.paused) {
      waiting.push({ task, reason: { kind: 'paused' } });
      continue;
    }
    const exec = input.executorFor(task);
    if (exec.missing) {
      waiting.push({ task, reason: { kind: 'executor-missing', executor: exec.executor, detail: exec.missing } });
      continue;
    }
    const settleUntil = lastChangeMs(task) + input.settlingDelayMs;
    if (settleUntil > nowMs) {
      waiting.push({ task, reason: { kind: 'settling', untilMs: settleUntil } });
      continue;
    }
    if (slots <= 0) {
      waiting.push({ task, reason: { kind: 'max-agents', alive: input.aliveAgents + spawn.length, max: input.maxAgents } });
      continue;
    }
    spawn.push({ task, executor: exec.executor });
    slots--;
  }
  return { spawn, waiting };
}

/** Claim before launch: in-progress, owned by the new agent, epoch+1, dispatch_count+1. */
export function planSpawnClaim(graph: Graph, taskId: string, agentId: string, executor: string, model: string | undefined, who: Actor): Plan<{ task: Task } | undefined> {
  const task = graph.get(taskId);
  // Re-checked under the lock: another claimant may have won since the decision.
  if (!task || task.assigned || !accepts('spawn', task.status)) return noChange(undefined);
  const next = appendLog(
    claim(task, agentId, who.now, { dispatch_count: (task.dispatch_count ?? 0) + 1 }),
    logEntry(who, `Spawned ${agentId} (executor ${executor}${model ? `, model ${model}` : ''})`, 'service'),
  );
  return { writes: [next], ops: [{ op: 'spawn', task_id: taskId, detail: { agent: agentId, executor, epoch: next.claim_epoch } }], result: { task: next } };
}

/**
 * The spawn failed: give the claim back (only if it is still ours at our epoch). `readyAfter`
 * holds the task back before the next attempt: without it a spawn that always fails (a broken
 * executable) is retried on every tick the rollback itself triggers — a hot loop that grows
 * the task log, operations.jsonl and the registry several times a second.
 */
export function planSpawnRollback(graph: Graph, taskId: string, agentId: string, epoch: number, error: string, who: Actor, readyAfter?: string): Plan<{ task: Task } | undefined> {
  const task = graph.get(taskId);
  if (!task || !holdsClaim(task, agentId, epoch)) return noChange(undefined);
  const next = appendLog(
    release(task, 'open', { started_at: undefined, ...(readyAfter ? { ready_after: readyAfter } : {}) }),
    logEntry(who, `Spawn of ${agentId} failed: ${error}${readyAfter ? ` (next attempt after ${readyAfter})` : ''}`, 'service'),
  );
  return { writes: [next], ops: [{ op: 'spawn_failed', task_id: taskId, detail: { agent: agentId, error } }], result: { task: next } };
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

/**
 * The agent's process ended while its task may still be in progress (SPEC §4): exit 0 → done,
 * non-zero → failed (`agent-exit-nonzero`), hard timeout → failed (`agent-hard-timeout`), a
 * crash → re-queued like any death. Nothing happens unless the task is still held by this
 * agent at this epoch (fenced like the agent itself would be).
 */
export function planAgentExit(graph: Graph, taskId: string, agentId: string, epoch: number, outcome: AgentOutcome, who: Actor, opts: ReconcileOptions = {}): Plan<AgentExitResult> {
  const task = graph.get(taskId);
  if (!task || !holdsClaim(task, agentId, epoch) || !accepts('agent-exit', task.status)) return noChange({ action: 'none' });
  const asAgent: Actor = { ...who, actor: agentId, agentId, fenceTaskId: taskId, fenceEpoch: epoch };
  if (outcome.kind === 'exited' && outcome.code === 0) {
    try {
      const p = planDone(graph, taskId, asAgent);
      return { ...p, result: { action: 'done', task: p.result.task } };
    } catch (e) {
      // e.g. a dependency was re-opened meanwhile: fail honestly rather than fake a done.
      const p = planFail(graph, taskId, asAgent, { reason: `agent exited 0 but the task cannot be done: ${(e as Error).message}`, failureClass: 'agent-exit-nonzero' });
      return { ...p, result: { action: 'failed', task: p.result.task } };
    }
  }
  if (outcome.kind === 'exited' || outcome.kind === 'timeout') {
    const reason = outcome.kind === 'timeout' ? `agent ${agentId} exceeded its hard timeout` : `agent ${agentId} exited with code ${outcome.code}`;
    const p = planFail(graph, taskId, asAgent, { reason, failureClass: outcome.kind === 'timeout' ? 'agent-hard-timeout' : 'agent-exit-nonzero' });
    return { ...p, result: { action: 'failed', task: p.result.task } };
  }
  const r = requeueAfterDeath(task, agentId, `was killed by ${outcome.signal}`, { ...who, actor: 'service' }, { failureClass: 'agent-killed', ...opts });
  return { writes: [r.task], ops: [{ op: 'reclaim', task_id: taskId, detail: { agent: agentId, reason: r.claim.reason, failed: r.claim.failed } }], result: { action: r.claim.failed ? 'failed' : 'requeued', task: r.task, reclaimed: r.claim } };
}

