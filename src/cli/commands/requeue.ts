import type { Command } from 'commander';
import { planRequeue } from '../../core/plans/requeue.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('requeue')
    .description('put an in-progress task back in the queue (its agent is stopped by the service)')
    .argument('<id>', 'task id')
    .requiredOption('--reason <text>', 'why')
    .action(async (id: string, flags: { reason: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planRequeue(g, id, flags.reason, who));
      ctx.out({ task: r.task, was: r.was ?? null }, () => `Requeued '${id}'${r.was ? ` (was ${r.was})` : ''}`);
    });
}
