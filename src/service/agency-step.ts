/**
 * Tick step 4: agency (SPEC §8). Finished evaluations promote pending-eval → done (eval gate
 * included); with `agency.auto_evaluate`, tasks get their `.evaluate-X` companion. The rules
 * are pure (core/plans/evaluation.ts); this step reads the evaluation files they need — only
 * when there is a pending task to judge.
 */
import { readTaskEvaluations } from '../agency/evaluations.js';
import { evaluationWork, planResolveEvaluations, planScaffoldEvaluations, wantsEvaluation, type GateEvaluation } from '../core/plans/evaluation.js';
import { serviceActor, type StepContext } from './context.js';

export async function agencyStep(ctx: StepContext, now: Date): Promise<void> {
  const work = evaluationWork(ctx.graph.graph());
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
        ctx.events.emit('eval:unreadable', { task: id, error: (e as Error).message });
      }
    }
    const a = ctx.settings.agency;
    const r = await ctx.graph.mutate((g) => planResolveEvaluations(g, serviceActor(now), { threshold: a.eval_gate_threshold, maxRescues: a.max_eval_rescues, evaluationsOf: (id) => evals.get(id) ?? [], skip }), now);
    if (r.promoted.length || r.rescued.length || r.rejected.length || r.abandoned.length) ctx.events.emit('eval:resolved', r);
  }
  if (!ctx.settings.agency.auto_evaluate) return;
  const graph = ctx.graph.graph();
  let wanted = false;
  for (const t of graph.tasks.values()) if ((wanted = wantsEvaluation(graph, t))) break;
  if (!wanted) return;
  const r = await ctx.graph.mutate((g) => planScaffoldEvaluations(g, serviceActor(now)), now);
  if (r.created.length) ctx.events.emit('eval:scaffolded', { tasks: r.created });
}
