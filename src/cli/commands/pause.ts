import type { Command } from 'commander';
import { planPause } from '../../core/plans/annotate.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('pause')
    .description('pause a task (status unchanged; not dispatched until resumed)')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planPause(g, id, who, true));
      ctx.out({ task: r.task, changed: r.changed }, () => (r.changed ? `Paused '${id}'` : `'${id}' is already paused`));
    });
}
