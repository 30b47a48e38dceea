import type { Command } from 'commander';
import { latestEvaluation, readTaskEvaluations } from '../../agency/evaluations.js';
import { requireTask } from '../../core/plan.js';
import { renderTaskPageText, taskPage } from '../../render/show.js';
import { WorktreeRecords } from '../../store/worktrees.js';
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
      const worktrees = new WorktreeRecords(ctx.paths).ofTask(task.id).map((r) => ({
        agent: r.agent,
        branch: r.branch,
        state: r.state === 'merged' ? `merged${r.merge ? ` (${r.merge})` : ''}` : r.state,
        ...(r.conflict?.length ? { detail: `conflict in ${r.conflict.join(', ')} — left for review` } : r.note && r.state !== 'merged' ? { detail: r.note } : {}),
      }));
      const page = taskPage(graph, task, evaluation, worktrees);
      ctx.out(
        { ...task, worktrees, after: page.dependsOn.map(({ id, title, status }) => ({ id, title: title ?? null, status })), before: page.requiredBy, evaluation: evaluation ?? null },
        () => renderTaskPageText(task, page),
      );
    });
}
