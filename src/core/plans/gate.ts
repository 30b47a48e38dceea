/**
 * The human gates (SPEC §2, §10): `wg approve` (pending-validation / pending-eval → done),
 * `wg reject --reason` (→ open with the reason for the next attempt, or → failed once the task
 * has been rejected `max_rejections` times), and `wg publish` (a paused draft and its paused
 * subgraph are checked and released).
 */
import { release } from '../claims.js';
import { usageError, WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { maxRejections, rejectionMessage } from '../gates.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';
import { isNoop, requireFrom } from '../transitions.js';
import { iterateCycle } from './finish.js';

/** An agent never passes its own gate. */
function refuseOwnWork(task: Task, who: Actor, verb: string): void {
  if (who.agentId && task.assigned === who.agentId) {
    throw new WgError('invalid_transition', `${who.agentId} cannot ${verb} its own task '${task.id}'`, { hint: 'a human (or another reviewer) decides: wg approve / wg reject --reason' });
  }
}

export function planApprove(graph: Graph, id: string, who: Actor, opts: { notes?: string[] } = {}): Plan<{ task: Task; already: boolean; reopened: string[] }> {
  const task = requireTask(graph, id);
  if (isNoop('approve', task.status)) return noChange({ task, already: true, reopened: [] });
  requireFrom('approve', task, 'approve it');
  refuseOwnWork(task, who, 'approve');
  let next = withFields(task, { status: 'done', completed_at: task.completed_at ?? formatTimestamp(who.now) });
  for (const note of opts.notes ?? []) next = appendLog(next, logEntry(who, note));
  next = appendLog(next, logEntry(who, `Task approved by ${who.user ?? who.actor}`));
  const writes = [next];
  const reopened = iterateCycle(graph, next, who, writes);
  return { writes, ops: [{ op: 'approve', task_id: id, detail: { from: task.status } }], result: { task: next, already: false, reopened } };
}

export interface RejectResult {
  task: Task;
  rejections: number;
  max: number;
  failed: boolean;
}

/**
 * Reject: the claim is released (epoch+1) so the work goes back to the queue with the reason in
 * the log (the next attempt's prompt shows every rejection); the `max_rejections`-th rejection
 * fails the task instead (the Rust tool's rule: count ≥ max → failed).
 */
export function planReject(graph: Graph, id: string, reason: string, who: Actor, opts: { maxRejections?: number } = {}): Plan<RejectResult> {
  const why = reason.trim();
  if (!why) throw usageError('empty --reason', 'say what must change: wg reject ID --reason "the tests do not cover X"');
  const task = requireTask(graph, id);
  requireFrom('reject', task, 'reject it');
  refuseOwnWork(task, who, 'reject');
  const n = (task.rejection_count ?? 0) + 1;
  const max = maxRejections(task, opts.maxRejections);
  const failed = n >= max;
  const next = appendLog(
    failed
      ? release(task, 'failed', { rejection_count: n, failure_reason: `Exceeded max rejections (${n}/${max}): ${why}`, completed_at: formatTimestamp(who.now) })
      : release(task, 'open', { rejection_count: n, completed_at: undefined }),
    logEntry(who, rejectionMessage(n, max, why, failed)),
  );
  return {
    writes: [next],
    ops: [{ op: 'reject', task_id: id, detail: { reason: why, rejection_count: n, max_rejections: max, outcome: failed ? 'failed' : 'reopened' } }],
    result: { task: next, rejections: n, max, failed },
  };
}

export interface PublishResult {
  /** Tasks unpaused, the draft first. */
  published: string[];
}

/**
 * Publish a draft (`wg add --paused`): every task to release — the draft and, unless `only`,
 * its paused downstream — must have dependencies that exist (no phantom) and no dependency
 * cycle without a loop config; then all of them are unpaused at once (one write), so the
 * service never sees half a subgraph.
 */
export function planPublish(graph: Graph, id: string, who: Actor, opts: { only?: boolean } = {}): Plan<PublishResult> {
  requireTask(graph, id);
  const scope = opts.only ? [id] : [id, ...graph.closure([id], 'forward').filter((x) => x !== id)];
  const toRelease = scope.map((x) => graph.get(x)!).filter((t) => t.id === id || t.paused);
  const cycles = graph.cycleAnalysis();
  for (const t of toRelease) {
    for (const dep of t.after ?? []) {
      if (!graph.has(dep)) {
        throw new WgError('not_found', `cannot publish '${id}': ${t.id === id ? 'it depends' : `'${t.id}' depends`} on '${dep}', which does not exist`, {
          hint: `create '${dep}' first, or remove the dependency with 'wg rm-dep ${t.id} ${dep}'`,
        });
      }
    }
    const cycle = cycles.cycleOf.get(t.id);
    if (cycle && !cycle.configOwner) {
      throw new WgError('cycle', `cannot publish '${id}': dependency cycle without cycle_config: ${cycle.members.join(' → ')}`, {
        hint: 'remove an edge, or give one member a loop config (wg edit ID --max-iterations N)',
      });
    }
  }
  const writes = toRelease
    .filter((t) => t.paused)
    .map((t) => appendLog(withFields(t, { paused: undefined }), logEntry(who, t.id === id ? 'Task published' : `Task published (with ${id})`)));
  if (!writes.length) return noChange({ published: [] });
  return { writes, ops: [{ op: 'publish', task_id: id, detail: { published: writes.map((w) => w.id) } }], result: { published: writes.map((w) => w.id) } };
}
