import type { Command } from 'commander';
import { planAbandon } from '../../core/plans/finish.js';
import { CliContext } from '../context.js';
import { collectList } from '../parse.js';

export function register(program: Command): void {
  program
    .command('abandon')
    .description('abandon a task (terminal; its dependents are unblocked)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why')
    .option('--superseded-by <ids>', 'the task(s) replacing it (comma-separated or repeated); stored in superseded_by', collectList)
    .action(async (id: string, flags: { reason?: string; supersededBy?: string[] }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const opts = { ...(flags.reason !== undefined ? { reason: flags.reason } : {}), ...(flags.supersededBy ? { supersededBy: flags.supersededBy } : {}) };
      const r = await ctx.mutate(who, (g) => planAbandon(g, id, who, opts));
      ctx.out({ task: r.task, already: r.already }, () => (r.already ? `Task '${id}' is already abandoned` : `Abandoned '${id}'${flags.supersededBy ? ` (superseded by ${flags.supersededBy.join(', ')})` : ''}`));
    });
}
