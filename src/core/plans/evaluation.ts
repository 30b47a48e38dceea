/**
 * The evaluation pipeline's pure half (SPEC §8): scaffolding a `.evaluate-X` companion for each
 * task (with `agency.auto_evaluate`), promoting `pending-eval` → `done` once the companion is
 * terminal or missing, the eval gate (tag `eval-gate`: a score below `eval_gate_threshold`
 * re-opens the task, up to `max_eval_rescues`, then fails it), abandoning the companion of an
 * abandoned task, and `wg assign` (the agency identity of a task). The service applies these.
 */
import { companionId, companionSource, release } from '../claims.js';
import { isValidTaskId } from '../ids.js';
import type { Graph } from '../graph.js';
import { appendLog, checkFence, logEntry, noChange, requireTask, type Actor, type OperationRecord, type Plan } from '../plan.js';
import { isSystemId, withFields, type Task } from '../task.js';
import { formatTimestamp, parseTimestamp } from '../time.js';
import { accepts, AWAITING_EVALUATION, isTerminal } from '../transitions.js';
import { iterateCycle } from './finish.js';

export const evalTaskId = (id: string): string => companionId('evaluate', id);
/** Tasks with one of these tags get no evaluation (scaffolding itself, and the opt-out). */
export const NO_EVAL_TAGS: ReadonlySet<string> = new Set(['evaluation', 'skip-eval', 'assignment', 'flip']);
export const EVAL_TAGS = ['evaluation', 'agency'];

/** Should the service scaffold `.evaluate-X` for this task now? */
export function wantsEvaluation(graph: Graph, task: Task): boolean {
  if (isSystemId(task.id)) return false;
  if ((task.tags ?? []).some((t) => NO_EVAL_TAGS.has(t))) return false;
  // Finished work is not evaluated retroactively (it would re-gate dependents already running).
  if (isTerminal(task.status) || AWAITING_EVALUATION.has(task.status)) return false;
  const id = evalTaskId(task.id);
  return isValidTaskId(id) && !graph.has(id);
}

/** A `.evaluate-X` task for each task that wants one (see wantsEvaluation). */
export function planScaffoldEvaluations(graph: Graph, who: Actor): Plan<{ created: string[] }> {
  const writes: Task[] = [];
  const ops: OperationRecord[] = [];
  const created: string[] = [];
  const now = formatTimestamp(who.now);
  for (const row of graph.tasks.values()) {
    if (!wantsEvaluation(graph, row)) continue;
    // Rows may be partial (the store's index); a task that is written is taken whole.
    const task = graph.get(row.id)!;
    const id = evalTaskId(task.id);
    const e: Task = {
      kind: 'task',
      id,
      title: `Evaluate ${task.id}`,
      description: `Scores the work of '${task.id}' with the configured evaluator (agency.auto_evaluate).`,
      status: 'open',
      priority: task.priority,
      after: [task.id],
      tags: [...EVAL_TAGS],
      exec: `wg evaluate run ${task.id}`,
      exec_mode: 'shell',
      created_at: now,
      log: [logEntry(who, `Scaffolded to evaluate '${task.id}' (agency.auto_evaluate)`, 'service')],
    };
    // `before` mirrors `after` (wg check warns otherwise); no log entry on X: not a user edit.
    writes.push(withFields(task, { before: [...(task.before ?? []).filter((b) => b !== id), id] }), e);
    ops.push({ op: 'scaffold_evaluation', task_id: id, detail: { source: task.id } });
    created.push(id);
  }
  return { writes, ops, result: { created } };
}

/** What the gate needs to know of an evaluation (src/agency/evaluations.ts has the full record). */
export interface GateEvaluation {
  score: number;
  source: string;
  timestamp: string;
  notes?: string | null | undefined;
}

export interface ResolveOptions {
  threshold: number;
  maxRescues: number;
  /** The evaluations of a task (any order). */
  evaluationsOf: (taskId: string) => GateEvaluation[];
  /** Pending tasks to leave alone this time (their evaluations could not be read). */
  skip?: ReadonlySet<string>;
}

export interface ResolveResult {
  promoted: Array<{ id: string; score?: number }>;
  rescued: Array<{ id: string; score: number; rescue: number }>;
  rejected: Array<{ id: string; score: number }>;
  abandoned: string[];
}

const tsMs = (s: string | undefined): number => (s ? (parseTimestamp(s)?.getTime() ?? 0) : 0);

/**
 * The evaluation that judges the current attempt: the newest non-system, non-FLIP one recorded
 * at or after the task's completion (an older one judged an earlier attempt).
 */
export function gateEvaluation(task: Task, evals: GateEvaluation[]): GateEvaluation | undefined {
  const since = tsMs(task.completed_at);
  let best: GateEvaluation | undefined;
  for (const e of evals) {
    if (e.source === 'system' || e.source === 'flip') continue;
    if (tsMs(e.timestamp) < since) continue;
    if (!best || tsMs(e.timestamp) >= tsMs(best.timestamp)) best = e;
  }
  return best;
}

/**
 * Is there anything for planResolveEvaluations to do? (cheap; lets the service skip reading
 * evaluations). `among`: the tasks to look at — all by default; the service passes its index of
 * pending-eval tasks and unfinished `.evaluate-X` tasks, the only ones that can qualify.
 */
export function evaluationWork(graph: Graph, among: Iterable<Task> = graph.tasks.values()): { pending: string[]; orphans: string[] } {
  const pending: string[] = [];
  const orphans: string[] = [];
  for (const t of among) {
    const source = companionSource(t.id, 'evaluate');
    if (accepts('eval-promote', t.status) && !isSystemId(t.id)) {
      const e = graph.get(evalTaskId(t.id));
      if (!e || isTerminal(e.status)) pending.push(t.id);
    } else if (source !== undefined && accepts('eval-orphan', t.status)) {
      const src = graph.get(source);
      if (!src || src.status === 'abandoned') orphans.push(t.id);
    }
  }
  return { pending, orphans };
}

const fmt = (n: number): string => n.toFixed(2);

/**
 * pending-eval → done once `.evaluate-X` is terminal or missing (any outcome: an evaluator that
 * failed must not hold the work back forever), with the eval gate for tasks tagged `eval-gate`;
 * and an unstarted `.evaluate-X` whose source is abandoned or gone is abandoned too.
 */
export function planResolveEvaluations(graph: Graph, who: Actor, opts: ResolveOptions): Plan<ResolveResult> {
  const result: ResolveResult = { promoted: [], rescued: [], rejected: [], abandoned: [] };
  const work = evaluationWork(graph);
  const pending = work.pending.filter((id) => !opts.skip?.has(id));
  const orphans = work.orphans;
  if (!pending.length && !orphans.length) return noChange(result);
  const writes: Task[] = [];
  const ops: OperationRecord[] = [];
  for (const id of pending) {
    const task = graph.get(id)!;
    const e = graph.get(evalTaskId(id));
    const ev = gateEvaluation(task, opts.evaluationsOf(id));
    const gated = (task.tags ?? []).includes('eval-gate');
    if (gated && ev && ev.score < opts.threshold) {
      const rescues = typeof task.rescue_count === 'number' ? task.rescue_count : 0;
      const notes = ev.notes ? ` — evaluator notes: ${oneLine(ev.notes)}` : '';
      if (rescues < opts.maxRescues) {
        const rescue = rescues + 1;
        let next = release(task, 'open', { started_at: undefined, completed_at: undefined, rescue_count: rescue });
        next = appendLog(next, logEntry(who, `Evaluation scored ${fmt(ev.score)}, below eval_gate_threshold ${fmt(opts.threshold)}: re-opened for another attempt (rescue ${rescue}/${opts.maxRescues})${notes}`, 'service'));
        writes.push(next);
        if (e) {
          let en = release(e, 'open', {
            started_at: undefined,
            completed_at: undefined,
            failure_reason: undefined,
            failure_class: undefined,
          });
          en = appendLog(en, logEntry(who, `Re-opened: '${id}' was re-opened by the eval gate (rescue ${rescue}/${opts.maxRescues})`, 'service'));
          writes.push(en);
        }
        ops.push({ op: 'eval_rescue', task_id: id, detail: { score: ev.score, threshold: opts.threshold, rescue } });
        result.rescued.push({ id, score: ev.score, rescue });
      } else {
        let next = withFields(task, {
          status: 'failed',
          failure_reason: `evaluation scored ${fmt(ev.score)}, below eval_gate_threshold ${fmt(opts.threshold)}, after ${rescues} rescue(s) (max_eval_rescues)`,
          failure_class: undefined,
        });
        next = appendLog(next, logEntry(who, `Evaluation scored ${fmt(ev.score)}, below eval_gate_threshold ${fmt(opts.threshold)}, and max_eval_rescues (${opts.maxRescues}) is used up: failed${notes}`, 'service'));
        writes.push(next);
        ops.push({ op: 'eval_reject', task_id: id, detail: { score: ev.score, threshold: opts.threshold } });
        result.rejected.push({ id, score: ev.score });
      }
      continue;
    }
    const why = ev
      ? `Evaluation finished (score ${fmt(ev.score)})`
      : e
        ? `Evaluation ${e.id} is ${e.status} without a score`
        : `No evaluation task (${evalTaskId(id)} is missing)`;
    const next = appendLog(withFields(task, { status: 'done' }), logEntry(who, `${why}: marked done`, 'service'));
    const batch = [next];
    const reopened = iterateCycle(graph, next, who, batch);
    writes.push(...batch);
    ops.push({ op: 'eval_promote', task_id: id, detail: { ...(ev ? { score: ev.score } : {}), ...(reopened.length ? { reopened } : {}) } });
    result.promoted.push({ id, ...(ev ? { score: ev.score } : {}) });
  }
  for (const id of orphans) {
    const e = graph.get(id)!;
    const srcId = companionSource(id, 'evaluate')!;
    const why = graph.has(srcId) ? `source task '${srcId}' was abandoned` : `source task '${srcId}' does not exist`;
    writes.push(appendLog(withFields(e, { status: 'abandoned', failure_reason: why }), logEntry(who, `Task abandoned: ${why}`, 'service')));
    ops.push({ op: 'abandon', task_id: id, detail: { reason: why } });
    result.abandoned.push(id);
  }
  return { writes, ops, result };
}

const oneLine = (s: string): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 297)}...` : t;
};

/** `wg assign TASK AGENT`: sets (or, with `undefined`, clears) the task's agency identity. */
export function planAssign(graph: Graph, id: string, agent: string | undefined, who: Actor, label?: string): Plan<{ task: Task; changed: boolean }> {
  const task = requireTask(graph, id);
  checkFence(task, who);
  if (task.agent === agent) return noChange({ task, changed: false });
  const message = agent ? `Agent identity set to ${agent.slice(0, 8)}${label ? ` (${label})` : ''}` : 'Agent identity cleared';
  const next = appendLog(withFields(task, { agent }), logEntry(who, message));
  return { writes: [next], ops: [{ op: 'assign', task_id: id, detail: { agent: agent ?? null } }], result: { task: next, changed: true } };
}
