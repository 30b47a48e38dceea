import type { Command } from 'commander';
import { latestEvaluation, readTaskEvaluations } from '../../agency/evaluations.js';
import { requireTask } from '../../core/plan.js';
import { renderTaskPageText, taskPage } from '../../render/show.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('show')
    .description('the task page: metadata, description, dependencies, log')
    .argument('<id>', 'task id')
    .action((id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      // Served from the index (one task, its neighbours), not a parse of the whole graph.
      const store = ctx.store();
      const graph = store.view();
      const task = graph.get(id) ?? requireTask(store.loadFast(), id);
      const evaluation = latestEvaluation(readTaskEvaluations(ctx.paths, task.id), task.id);
      const page = taskPage(graph, task, evaluation);
      ctx.out(
        { ...task, after: page.dependsOn.map(({ id, title, status }) => ({ id, title: title ?? null, status })), before: page.requiredBy, evaluation: evaluation ?? null },
        () => renderTaskPageText(task, page),
      );
    });
}
