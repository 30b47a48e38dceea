import type { Command } from 'commander';
import { planPause } from '../../core/plans/annotate.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('resume')
    .description('resume a paused task')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planPause(g, id, who, false));
      ctx.out({ task: r.task, changed: r.changed }, () => (r.changed ? `Resumed '${id}'` : `'${id}' is not paused`));
    });
}
