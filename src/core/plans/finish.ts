import { usageError, WgError } from '../errors.js';
import { edgeKey, type Graph } from '../graph.js';
import { companionId, release } from '../claims.js';
import { appendLog, checkFence, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { dependencyMet } from '../readiness.js';
import { FAILURE_CLASS_CHOICES, parseFailureClass } from '../failure-class.js';
import { isSystemId, withFields, type Task } from '../task.js';
import { formatTimestamp, parseDurationMs } from '../time.js';
import { accepts, isNoop, isTerminal, requireFrom, SATISFYING_STATUSES } from '../transitions.js';

export interface DoneResult {
  task: Task;
  already: boolean;
  reopened: string[];
}

export function planDone(graph: Graph, id: string, who: Actor, opts: { converged?: boolean } = {}): Plan<DoneResult> {
  const task = requireTask(graph, id);
  checkFence(task, who);
  if (isNoop('done', task.status)) return noChange({ task, already: true, reopened: [] });
  requireFrom('done', task, 'mark it done');
  const cycles = graph.cycleAnalysis();
  const unmet = (task.after ?? []).filter((depId) => {
    if (dependencyMet(graph, task, depId)) return false;
    if (cycles.backEdges.has(edgeKey(id, depId))) return false;
    return true;
  });
  if (unmet.length) {
    const names = unmet.map((d) => `${d} (${graph.get(d)?.status ?? 'missing'})`).join(', ');
    throw new WgError('not_ready', `task '${id}' cannot be done: waiting on ${names}`, { hint: `finish those first, or remove the dependency with 'wg rm-dep ${id} DEP'` });
  }
  const evalTask = graph.get(companionId('evaluate', id));
  const pendingEval = !isSystemId(id) && !!evalTask && !isTerminal(evalTask.status);
  const status = pendingEval ? 'pending-eval' : 'done';
  let next = withFields(task, {
    status,
    completed_at: formatTimestamp(who.now),
    tags: opts.converged && !(task.tags ?? []).includes('converged') ? [...(task.tags ?? []), 'converged'] : task.tags,
  });
  next = appendLog(next, logEntry(who, pendingEval ? `Task pending eval (awaiting ${evalTask!.id})` : opts.converged ? 'Task marked as done (converged)' : 'Task marked as done'));
  const writes = [next];
  const reopened = pendingEval ? [] : iterateCycle(graph, next, who, writes);
  return { writes, ops: [{ op: 'done', task_id: id, detail: { status, ...(reopened.length ? { reopened } : {}) } }], result: { task: next, already: false, reopened } };
}

/**
 * Loops (SPEC §2): when every member of a configured cycle is done or abandoned, re-open the
 * members (loop_iteration+1) unless a member converged or max_iterations is reached.
 * Appends the re-opened copies to `writes` (replacing `justDone` there) and returns their ids.
 */
export function iterateCycle(graph: Graph, justDone: Task, who: Actor, writes: Task[]): string[] {
  const cycle = graph.cycleAnalysis().cycleOf.get(justDone.id);
  const members = cycle ? cycle.members : justDone.cycle_config ? [justDone.id] : [];
  const ownerId = cycle ? cycle.configOwner : justDone.cycle_config ? justDone.id : undefined;
  if (!ownerId) return [];
  const current = (mid: string): Task => (mid === justDone.id ? justDone : graph.get(mid)!);
  const owner = current(ownerId);
  const config = owner.cycle_config!;
  const all = members.map(current);
  if (!all.every((t) => SATISFYING_STATUSES.has(t.status))) return [];
  if (!config.no_converge && all.some((t) => (t.tags ?? []).includes('converged'))) return [];
  const iteration = (owner.loop_iteration ?? 0) + 1;
  const max = config.max_iterations ?? 0;
  if (max > 0 && iteration >= max) return [];
  if (!guardAllows(config.guard, graph, iteration)) return [];
  const delayMs = typeof config.delay === 'string' ? parseDurationMs(config.delay) : undefined;
  const reopened: string[] = [];
  for (const t of all) {
    if (!accepts('cycle-iterate', t.status)) continue; // abandoned members stay abandoned
    let r = release(t, 'open', {
      started_at: undefined,
      completed_at: undefined,
      loop_iteration: iteration,
      ready_after: t.id === ownerId && delayMs ? formatTimestamp(new Date(who.now.getTime() + delayMs)) : undefined,
    });
    r = appendLog(r, logEntry(who, `Re-activated by cycle iteration (iteration ${iteration}/${max || 'unlimited'})`));
    const at = writes.findIndex((w) => w.id === t.id);
    if (at >= 0) writes[at] = r;
    else writes.push(r);
    reopened.push(t.id);
  }
  return reopened;
}

function guardAllows(guard: unknown, graph: Graph, iteration: number): boolean {
  if (guard === undefined || guard === null || guard === 'Always') return true;
  if (typeof guard === 'object') {
    const g = guard as Record<string, unknown>;
    const ts = g.TaskStatus as { task?: string; status?: string } | undefined;
    if (ts && typeof ts.task === 'string') return graph.get(ts.task)?.status === ts.status;
    if (typeof g.IterationLessThan === 'number') return iteration < g.IterationLessThan;
  }
  return true;
}

export function planFail(graph: Graph, id: string, who: Actor, opts: { reason?: string; failureClass?: string } = {}): Plan<{ task: Task; already: boolean }> {
  // Either spelling of the Rust tool's six classes; stored in its on-disk spelling. Any other
  // cause is a reason, not a class (the Rust tool refuses a graph holding another class).
  const failureClass = opts.failureClass === undefined ? undefined : parseFailureClass(opts.failureClass);
  if (opts.failureClass !== undefined && !failureClass) {
    throw usageError(`unknown failure class '${opts.failureClass}'`, `use one of: ${FAILURE_CLASS_CHOICES.join(', ')} — or describe the cause with --reason`);
  }
  const task = requireTask(graph, id);
  checkFence(task, who);
  if (isNoop('fail', task.status)) return noChange({ task, already: true });
  requireFrom('fail', task, 'fail it');
  let next = withFields(task, {
    status: 'failed',
    failure_reason: opts.reason ?? task.failure_reason,
    failure_class: failureClass ?? task.failure_class,
    completed_at: formatTimestamp(who.now),
  });
  next = appendLog(next, logEntry(who, `Task marked as failed${opts.reason ? `: ${opts.reason}` : ''}`));
  return { writes: [next], ops: [{ op: 'fail', task_id: id, detail: { reason: opts.reason, class: failureClass } }], result: { task: next, already: false } };
}

/** `supersededBy`: the tasks replacing it (the Rust tool's `superseded_by`); each must exist. */
export function planAbandon(graph: Graph, id: string, who: Actor, opts: { reason?: string; supersededBy?: string[] } = {}): Plan<{ task: Task; already: boolean }> {
  const task = requireTask(graph, id);
  for (const s of opts.supersededBy ?? []) {
    requireTask(graph, s);
    if (s === id) throw usageError(`'${id}' cannot supersede itself`, 'name the task that replaces it');
  }
  if (isNoop('abandon', task.status)) return noChange({ task, already: true });
  requireFrom('abandon', task, 'abandon it');
  const superseded = opts.supersededBy?.length ? [...new Set([...(task.superseded_by ?? []), ...opts.supersededBy])] : undefined;
  let next = withFields(task, { status: 'abandoned', failure_reason: opts.reason ?? task.failure_reason, ...(superseded ? { superseded_by: superseded } : {}) });
  next = appendLog(next, logEntry(who, `Task abandoned${opts.reason ? `: ${opts.reason}` : ''}${superseded ? ` (superseded by ${opts.supersededBy!.join(', ')})` : ''}`));
  return { writes: [next], ops: [{ op: 'abandon', task_id: id, detail: { reason: opts.reason, ...(superseded ? { superseded_by: opts.supersededBy } : {}) } }], result: { task: next, already: false } };
}
