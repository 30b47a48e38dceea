/**
 * The service's own indexes over the graph, kept up to date from what changed (the live graph
 * says which task ids changed, or that everything was reloaded), so that a tick's steps look at
 * the few tasks that concern them instead of walking every task:
 *
 *   claimed     tasks an agent holds (open / in-progress): the reconciler's candidates
 *   candidates  open / incomplete tasks: the only ones that can be ready
 *   gates       candidates' time gates (`not_before` / `ready_after`): when to decide again
 *   evalRelated pending-eval tasks and unfinished `.evaluate-X` tasks: the only ones agency's
 *               evaluationWork can pick
 *   wantsEval   tasks that want an `.evaluate-X` companion (only with agency.auto_evaluate)
 *
 * and, for the dispatcher, which tasks changed since it last decided (see dispatch.ts). At 100k
 * tasks a full walk costs milliseconds per step; these sets cost what changed.
 */
import type { Graph } from '../core/graph.js';
import { EVAL_PREFIX, wantsEvaluation } from '../core/plans/evaluation.js';
import { isAgentActor, isTerminal, type Task } from '../core/task.js';
import { parseTimestamp } from '../core/time.js';

/** What changed in the graph since the last look (the live graph's change record). */
export interface GraphChange {
  reload: boolean;
  ids: ReadonlySet<string>;
  structural: boolean;
}

/** What the dispatcher has not seen yet. */
export interface DispatchChanges {
  /** Everything may have changed. */
  all: boolean;
  /** Some task's row (status, claim, dependencies, gates, priority, …) changed, or a task came or went. */
  rowChanged: boolean;
  /** Every task id that changed in any way. */
  ids: Set<string>;
}

const isCandidate = (t: Task): boolean => t.status === 'open' || t.status === 'incomplete';
const isClaimedByAgent = (t: Task): boolean => (t.status === 'in-progress' || t.status === 'open') && isAgentActor(t.assigned);

/** The instant both time gates of `t` are open (ms), or undefined without a readable gate. */
function gateOf(t: Task): number | undefined {
  let at: number | undefined;
  for (const f of [t.not_before, t.ready_after]) {
    const ms = f ? parseTimestamp(f)?.getTime() : undefined;
    if (ms !== undefined) at = Math.max(at ?? ms, ms);
  }
  return at;
}

/** Two rows differ (rows are small: a JSON comparison is the simple, exact answer). */
const rowsDiffer = (a: Task | undefined, b: Task | undefined): boolean => !a || !b || JSON.stringify(a) !== JSON.stringify(b);

export class TaskIndex {
  readonly claimed = new Map<string, string>();
  readonly candidates = new Set<string>();
  readonly gates = new Map<string, number>();
  readonly evalRelated = new Set<string>();
  readonly wantsEval = new Set<string>();
  /** The row each task had when last indexed (rows are replaced, never mutated, on change). */
  private readonly rows = new Map<string, Task>();
  private dispatch: DispatchChanges = { all: true, rowChanged: true, ids: new Set() };

  constructor(private readonly autoEvaluate: boolean) {}

  /** Brings the indexes up to date with `change` (a reload rebuilds them). */
  apply(graph: Graph, change: GraphChange): void {
    if (change.reload) {
      for (const s of [this.claimed, this.candidates, this.gates, this.evalRelated, this.wantsEval, this.rows]) s.clear();
      for (const t of graph.tasks.values()) this.index(graph, t.id, t);
      this.dispatch = { all: true, rowChanged: true, ids: new Set() };
      return;
    }
    if (!change.ids.size) return;
    for (const id of change.ids) {
      const row = graph.peek(id);
      if (rowsDiffer(this.rows.get(id), row)) this.dispatch.rowChanged = true;
      this.dispatch.ids.add(id);
      this.index(graph, id, row);
      // A new or removed `.evaluate-X` changes whether X wants one.
      if (this.autoEvaluate && id.startsWith(EVAL_PREFIX)) this.indexWants(graph, id.slice(EVAL_PREFIX.length));
    }
    if (change.structural) this.dispatch.rowChanged = true;
  }

  /** The changes the dispatcher has not seen (and forget them). */
  takeDispatchChanges(): DispatchChanges {
    const c = this.dispatch;
    this.dispatch = { all: false, rowChanged: false, ids: new Set() };
    return c;
  }

  /** The earliest time gate after `nowMs` among candidates, if any. */
  nextGateAfter(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const ms of this.gates.values()) if (ms > nowMs && (next === undefined || ms < next)) next = ms;
    return next;
  }

  private index(graph: Graph, id: string, t: Task | undefined): void {
    for (const s of [this.claimed, this.candidates, this.gates, this.evalRelated, this.rows]) s.delete(id);
    if (this.autoEvaluate) this.wantsEval.delete(id);
    if (!t) return;
    this.rows.set(id, t);
    if (isClaimedByAgent(t)) this.claimed.set(id, t.assigned!);
    if (isCandidate(t)) {
      this.candidates.add(id);
      const g = gateOf(t);
      if (g !== undefined) this.gates.set(id, g);
    }
    if (t.status === 'pending-eval' || (id.startsWith(EVAL_PREFIX) && !isTerminal(t.status))) this.evalRelated.add(id);
    if (this.autoEvaluate && wantsEvaluation(graph, t)) this.wantsEval.add(id);
  }

  private indexWants(graph: Graph, id: string): void {
    const t = graph.peek(id);
    if (t && wantsEvaluation(graph, t)) this.wantsEval.add(id);
    else this.wantsEval.delete(id);
  }
}
