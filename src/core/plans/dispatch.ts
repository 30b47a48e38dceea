/**
 * The dispatcher's pure half (SPEC §4): which ready tasks to spawn now, why the others wait,
 * the claim written before a process starts, its rollback when the spawn fails and the back-off
 * before the next attempt. (What happens when an agent exits or dies: agent-death.ts.)
 */
import { claim, deadClaim, holdsClaim, release } from '../claims.js';
import type { Graph } from '../graph.js';
import type { LivenessMap } from '../liveness.js';
import { appendLog, logEntry, noChange, type Actor, type Plan } from '../plan.js';
import { byDispatchOrder, readyTasks } from '../readiness.js';
import type { Task } from '../task.js';
import { parseTimestamp } from '../time.js';
import { accepts } from '../transitions.js';
import { crashBackoffMs } from './agent-death.js';

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
  /** `task` is the row (status, claim, priority…) for `claimed`, `stale-claim` and `paused`. */
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
    // A claimed or paused task waits whatever else it is: the row says so (at 100k tasks, 15k
    // ready and the dispatcher paused, reading them whole cost seconds and ~30 MB).
    if (row.assigned) {
      const dead = deadClaim(row, input.liveness);
      if (dead) waiting.push({ task: row, reason: { kind: 'stale-claim', agent: dead.agent, detail: dead.known ? (dead.reason ?? 'dead') : 'unknown to the registry' } });
      else waiting.push({ task: row, reason: { kind: 'claimed', holder: row.assigned } });
      continue;
    }
    if (input.paused) {
      waiting.push({ task: row, reason: { kind: 'paused' } });
      continue;
    }
    // Whole task: the executor choice and the settling delay read fields a row lacks (exec, log).
    const task = graph.get(row.id)!;
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
 * After a failed spawn, the task waits 1 s, 2 s, 4 s … 5 min before the next attempt, so a spawn
 * that always fails (a broken executable) is not retried in a hot loop. `failures` counts the
 * task's consecutive failed spawns (this one included); it resets on a successful spawn.
 */
export const spawnFailureBackoffMs = (failures: number): number => crashBackoffMs(failures + 1, 500);

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

