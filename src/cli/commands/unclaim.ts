import type { Command } from 'commander';
import { planUnclaim } from '../../core/plans/claim.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('unclaim')
    .description('release a claim: the task goes back to open for anyone (epoch+1)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .action(async (id: string, flags: { reason?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planUnclaim(g, id, who, flags.reason));
      ctx.out({ task: r.task, was: r.was ?? null }, () => (r.was ? `Unclaimed '${id}' (was ${r.was})` : `'${id}' was not claimed; now open`));
    });
}
