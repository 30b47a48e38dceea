import type { Command } from 'commander';
import { latestEvaluation, readTaskEvaluations } from '../../agency/evaluations.js';
import { requireTask } from '../../core/plan.js';
import { renderTaskPageText, taskPage } from '../../render/show.js';
import { WorktreeRecords } from '../../store/worktrees.js';
import { latestAgentOf, outputPathOf, readFrom } from '../../agents/agent-output.js';
import { lastLines } from '../../render/agent-output.js';
import { CliContext } from '../context.js';

const SHOW_OUTPUT_LINES = 10;

export function register(program: Command): void {
  program
    .command('show')
    .description('the task page: metadata, description, dependencies, log')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      // JSONL: served from the index (one task, its neighbours), not a parse of the whole graph.
      const pg = await ctx.pg();
      const store = ctx.store();
      const graph = pg ? await ctx.graph() : store.view();
      const task = graph.get(id) ?? requireTask(pg ? await ctx.graph() : store.loadFast(), id);
      const evaluation = latestEvaluation(readTaskEvaluations(ctx.paths, task.id), task.id);
      const worktrees = new WorktreeRecords(ctx.paths).ofTask(task.id).map((r) => ({
        agent: r.agent,
        branch: r.branch,
        state: r.state === 'merged' ? `merged${r.merge ? ` (${r.merge})` : ''}` : r.state,
        ...(r.conflict?.length ? { detail: `conflict in ${r.conflict.join(', ')} — left for review` } : r.note && r.state !== 'merged' ? { detail: r.note } : {}),
      }));
      const page = taskPage(graph, task, evaluation, worktrees);
      // A failed or running task: the end of its latest agent's output (wg agents log for more).
      if (task.status === 'failed' || task.status === 'in-progress' || task.status === 'failed-pending-eval') {
        const agent = latestAgentOf(await ctx.registry(), task.id);
        if (agent) page.agentOutput = { agent: agent.id, lines: lastLines(readFrom(outputPathOf(ctx.paths, agent), undefined, 64 * 1024).text, SHOW_OUTPUT_LINES) };
      }
      ctx.out(
        { ...task, worktrees, after: page.dependsOn.map(({ id, title, status }) => ({ id, title: title ?? null, status })), before: page.requiredBy, evaluation: evaluation ?? null, ...(page.agentOutput ? { agent_output: page.agentOutput } : {}) },
        () => renderTaskPageText(task, page),
      );
    });
}
