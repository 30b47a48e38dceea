import type { Command } from 'commander';
import { renderVizText, taskAgeMs, vizLayout } from '../../render/viz.js';
import { CliContext, useColor } from '../context.js';

export function register(program: Command): void {
  program
    .command('viz')
    .description('draw the dependency graph as ASCII (status, assignee, age per task)')
    .option('--all', 'include system (dot) tasks and finished work')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = await ctx.graph();
      const all = !!flags.all;
      const layout = vizLayout(graph, { includeSystem: all, includeFinished: all });
      const now = (await ctx.now());
      ctx.out(
        {
          nodes: layout.rows.map((r) => ({
            id: r.task.id,
            status: r.task.status,
            assigned: r.task.assigned ?? null,
            age_ms: taskAgeMs(r.task, now) ?? null,
            depth: r.depth,
            repeat: r.repeat,
            annotations: r.annotations,
          })),
          hidden: layout.hidden,
        },
        () => renderVizText(layout, { now, color: useColor() }),
        // viz paints (on a terminal) and escapes its fields itself: the guard keeps its colours.
        { painted: true },
      );
    });
}
