import type { Command } from 'commander';
import { planAbandon } from '../../core/plans/finish.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('abandon')
    .description('abandon a task (terminal; its dependents are unblocked)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why')
    .action(async (id: string, flags: { reason?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planAbandon(g, id, who, flags.reason !== undefined ? { reason: flags.reason } : {}));
      ctx.out({ task: r.task, already: r.already }, () => (r.already ? `Task '${id}' is already abandoned` : `Abandoned '${id}'`));
    });
}
