/**
 * The service's own indexes over the graph (besides the live graph's: by status, claimed, time
 * gates; and the ready set), kept up to date from what changed (the live graph says which task
 * ids changed, or that everything was reloaded), so that a step looks at the few tasks that
 * concern it instead of walking every task:
 *
 *   agentClaims tasks held by an agent (`agent-N`) in a status the reconciler watches: its only
 *               candidates (the live graph's `claimed` also holds humans' claims and finished
 *               tasks: at 100k tasks with 8k claimed by people, walking it cost ~50 ms a tick)
 *   evalRelated pending-eval tasks and unfinished `.evaluate-X` tasks: the only ones agency's
 *               evaluationWork can pick
 *   wantsEval   tasks that want an `.evaluate-X` companion (only with agency.auto_evaluate)
 *
 * and, for the dispatcher, which tasks changed since it last decided (see dispatch.ts). At 100k
 * tasks a full walk costs milliseconds per step; these sets cost what changed.
 */
import type { Graph } from '../core/graph.js';
import { companionSource } from '../core/claims.js';
import { wantsEvaluation } from '../core/plans/evaluation.js';
import { isStaleClaimCandidate } from '../core/plans/reconcile.js';
import type { Task } from '../core/task.js';
import { isTerminal } from '../core/transitions.js';

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
  /** Every task id that changed in any way. */
  ids: Set<string>;
}

export class TaskIndex {
  readonly agentClaims = new Map<string, string>();
  readonly evalRelated = new Set<string>();
  readonly wantsEval = new Set<string>();
  private dispatch: DispatchChanges = { all: true, ids: new Set() };

  constructor(private readonly autoEvaluate: boolean) {}

  /** Brings the indexes up to date with `change` (a reload rebuilds them). */
  apply(graph: Graph, change: GraphChange): void {
    if (change.reload) {
      for (const s of [this.agentClaims, this.evalRelated, this.wantsEval]) s.clear();
      for (const t of graph.tasks.values()) this.index(graph, t.id, t);
      this.dispatch = { all: true, ids: new Set() };
      return;
    }
    if (!change.ids.size) return;
    for (const id of change.ids) {
      this.dispatch.ids.add(id);
      this.index(graph, id, graph.peek(id));
      // A new or removed `.evaluate-X` changes whether X wants one.
      const source = this.autoEvaluate ? companionSource(id, 'evaluate') : undefined;
      if (source !== undefined) this.indexWants(graph, source);
    }
  }

  /** The changes the dispatcher has not seen (and forget them). */
  takeDispatchChanges(): DispatchChanges {
    const c = this.dispatch;
    this.dispatch = { all: false, ids: new Set() };
    return c;
  }

  private index(graph: Graph, id: string, t: Task | undefined): void {
    this.agentClaims.delete(id);
    this.evalRelated.delete(id);
    if (this.autoEvaluate) this.wantsEval.delete(id);
    if (!t) return;
    if (isStaleClaimCandidate(t)) this.agentClaims.set(id, t.assigned!);
    if (t.status === 'pending-eval' || t.status === 'failed-pending-eval' || (companionSource(id, 'evaluate') !== undefined && !isTerminal(t.status))) this.evalRelated.add(id);
    if (this.autoEvaluate && wantsEvaluation(graph, t)) this.wantsEval.add(id);
  }

  private indexWants(graph: Graph, id: string): void {
    const t = graph.peek(id);
    if (t && wantsEvaluation(graph, t)) this.wantsEval.add(id);
    else this.wantsEval.delete(id);
  }
}
