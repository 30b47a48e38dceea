import type { Command } from 'commander';
import { byDispatchOrder, readyTasks } from '../../core/readiness.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('ready')
    .description('tasks ready to work on, highest priority first')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = (await ctx.graph({ rows: true }));
      const now = (await ctx.now());
      const tasks = byDispatchOrder(readyTasks(graph, now)).filter((t) => flags.all || !t.id.startsWith('.'));
      ctx.out(
        tasks.map((t) => ({ id: t.id, title: t.title, priority: t.priority, assigned: t.assigned ?? null, ready: true })),
        () => (tasks.length ? ['Ready tasks:', ...table(tasks.map((t) => [`  ${t.id}`, t.title, t.priority !== 10 ? `p${t.priority}` : '', t.assigned ? `(claimed by ${t.assigned})` : '']))] : 'No tasks ready'),
      );
    });
}
