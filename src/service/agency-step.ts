/**
 * Tick step 4: agency (SPEC §8). Finished evaluations promote pending-eval → done (eval gate
 * included); with `agency.auto_evaluate`, tasks get their `.evaluate-X` companion. The rules
 * are pure (core/plans/evaluation.ts); this step finds the work in the service's index (not by
 * walking every task) and reads the evaluation files only when there is a task to judge.
 */
import { readTaskEvaluations } from '../agency/evaluations.js';
import { evaluationWork, planResolveEvaluations, planScaffoldEvaluations, type GateEvaluation } from '../core/plans/evaluation.js';
import type { Task } from '../core/task.js';
import { serviceActor, type StepContext } from './context.js';

/** The graph generation the step last ran on, and whether an evaluation file was unreadable then. */
export interface AgencyMemo {
  generation: number;
  retry: boolean;
}

export async function agencyStep(ctx: StepContext, memo: AgencyMemo, now: Date): Promise<void> {
  // Everything this step decides follows from the graph (and, for an unreadable evaluation
  // file, from that file): on an unchanged graph there is nothing new to find.
  if (memo.generation === ctx.graph.generation && !memo.retry) return;
  memo.retry = false;
  const graph = ctx.graph.graph();
  const among: Task[] = [];
  for (const id of ctx.graph.index().evalRelated) among.push(graph.peek(id)!);
  const work = evaluationWork(graph, among);
  if (work.pending.length || work.orphans.length) {
    const evals = new Map<string, GateEvaluation[]>();
    const skip = new Set<string>();
    for (const id of work.pending) {
      try {
        evals.set(id, readTaskEvaluations(ctx.paths, id));
      } catch (e) {
        // A corrupt evaluation file must not let the task past its gate: it stays pending-eval
        // (the log names the file) until the file is fixed or removed.
        skip.add(id);
        memo.retry = true;
        ctx.events.emit('eval:unreadable', { task: id, error: (e as Error).message });
      }
    }
    const a = ctx.settings.agency;
    const r = await ctx.graph.mutate((g) => planResolveEvaluations(g, serviceActor(now), { threshold: a.evalGateThreshold, maxRescues: a.maxEvalRescues, evaluationsOf: (id) => evals.get(id) ?? [], skip }), now);
    if (r.promoted.length || r.rescued.length || r.rejected.length || r.abandoned.length || r.failed.length) ctx.events.emit('eval:resolved', r);
  }
  if (ctx.settings.agency.autoEvaluate && ctx.graph.index().wantsEval.size) {
    const r = await ctx.graph.mutate((g) => planScaffoldEvaluations(g, serviceActor(now)), now);
    if (r.created.length) ctx.events.emit('eval:scaffolded', { tasks: r.created });
  }
  memo.generation = ctx.graph.generation;
}
