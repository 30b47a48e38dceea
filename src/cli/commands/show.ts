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
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = await ctx.graph();
      const task = requireTask(graph, id);
      const evaluation = latestEvaluation(readTaskEvaluations(ctx.paths, task.id), task.id);
      const page = taskPage(graph, task, evaluation);
      ctx.out(
        { ...task, after: page.dependsOn.map(({ id, title, status }) => ({ id, title: title ?? null, status })), before: page.requiredBy, evaluation: evaluation ?? null },
        () => renderTaskPageText(task, page),
      );
    });
}
