import { claim, release } from '../claims.js';
import { WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Kill, type Plan } from '../plan.js';
import { byDispatchOrder, describeBlocker, readiness, readyTasks } from '../readiness.js';
import { isAgentActor, type Task } from '../task.js';
import { requireFrom } from '../transitions.js';

export interface ClaimResult {
  task: Task;
  already: boolean;
}

/** The claimed copy of a task: in-progress, owned by `actor`, epoch+1, with a log entry. */
export function claimedCopy(task: Task, actor: string, who: Actor, message: string): Task {
  return appendLog(claim(task, actor, who.now), logEntry(who, message, actor));
}

export function planClaim(graph: Graph, id: string, who: Actor, opts: { force?: boolean } = {}): Plan<ClaimResult> {
  const task = requireTask(graph, id);
  if (task.status === 'in-progress') {
    if (task.assigned === who.actor) return noChange({ task, already: true });
    throw new WgError('invalid_transition', `task '${id}' is already claimed by ${task.assigned ?? 'nobody'} (epoch ${task.claim_epoch ?? 0})`, {
      hint: `wait for it, or release it with 'wg unclaim ${id}'`,
    });
  }
  requireFrom('claim', task, 'claim it');
  if (task.assigned && task.assigned !== who.actor && !opts.force) {
    throw new WgError('invalid_transition', `task '${id}' is claimed by ${task.assigned} (epoch ${task.claim_epoch ?? 0})`, {
      hint: `release it first with 'wg unclaim ${id}'`,
    });
  }
  if (!opts.force) {
    const r = readiness(graph, task, who.now);
    if (!r.ready) {
      throw new WgError('not_ready', `task '${id}' is not ready: ${r.blockers.map(describeBlocker).join(', ')}`, {
        hint: `see 'wg why-blocked ${id}', or claim anyway with --force`,
      });
    }
  }
  const next = claimedCopy(task, who.actor, who, `Task claimed by ${who.actor}`);
  return { writes: [next], ops: [{ op: 'claim', task_id: id, detail: { actor: who.actor, epoch: next.claim_epoch } }], result: { task: next, already: false } };
}

/** `claim --next`: the first ready, unclaimed task in dispatch order. */
export function planClaimNext(graph: Graph, who: Actor): Plan<ClaimResult | undefined> {
  const candidates = byDispatchOrder(readyTasks(graph, who.now).filter((t) => !t.assigned));
  // Candidates may be rows (a graph from the index): the claim is written from the whole task.
  const task = candidates[0] && graph.get(candidates[0].id);
  if (!task) return noChange(undefined);
  const next = claimedCopy(task, who.actor, who, `Task claimed by ${who.actor}`);
  return { writes: [next], ops: [{ op: 'claim', task_id: task.id, detail: { actor: who.actor, epoch: next.claim_epoch, next: true } }], result: { task: next, already: false } };
}

/**
 * The kill that goes with releasing a claim (unclaim, requeue), as `wg retry` does: the old agent,
 * if it still runs, is stopped — with the service stopped nobody else would, and a fenced agent
 * still burns CPU and edits files. Not when the agent releases its own task (it exits itself).
 */
export function releaseKills(was: string | undefined, holderAlive: boolean, who: Actor, why: string): Kill[] {
  if (!was || !holderAlive || !isAgentActor(was) || who.agentId === was) return [];
  return [{ agent: was, reason: why }];
}

export function planUnclaim(graph: Graph, id: string, who: Actor, reason?: string, opts: { holderAlive?: boolean } = {}): Plan<{ task: Task; was?: string }> {
  const task = requireTask(graph, id);
  requireFrom('unclaim', task, 'unclaim it');
  if (task.status === 'open' && !task.assigned) return noChange({ task });
  const was = task.assigned;
  const kills = releaseKills(was, !!opts.holderAlive, who, `killed by wg unclaim ${id}`);
  const msg = `Task unclaimed${was ? ` (was ${was})` : ''}${reason ? `: ${reason}` : ''}${kills.length ? `; killing ${was}` : ''}`;
  const next = appendLog(release(task, 'open'), logEntry(who, msg));
  return { writes: [next], ops: [{ op: 'unclaim', task_id: id, detail: { was } }], kills, result: { task: next, ...(was ? { was } : {}) } };
}
