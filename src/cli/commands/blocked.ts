import type { Command } from 'commander';
import { requireTask } from '../../core/plan.js';
import { describeBlocker, readiness } from '../../core/readiness.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('blocked')
    .description('the direct reasons a task is not ready (its unmet dependencies and gates)')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = await ctx.graph({ rows: true, whole: [id] });
      const task = requireTask(graph, id);
      const r = readiness(graph, task, (await ctx.now()));
      ctx.out({ id, ready: r.ready, blockers: r.blockers }, () => (r.ready ? `'${id}' is ready` : [`'${id}' is blocked by:`, ...r.blockers.map((b) => `  ${describeBlocker(b)}`)]));
    });
}
