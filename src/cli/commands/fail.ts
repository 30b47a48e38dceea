import type { Command } from 'commander';
import { planFail } from '../../core/plans/finish.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('fail')
    .description('mark a task failed (fenced when run by an agent); wg retry re-queues it')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'what went wrong')
    .option('--class <class>', 'failure class (e.g. agent-exit-nonzero)')
    .action(async (id: string, flags: { reason?: string; class?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const opts: { reason?: string; failureClass?: string } = {};
      if (flags.reason !== undefined) opts.reason = flags.reason;
      if (flags.class !== undefined) opts.failureClass = flags.class;
      const r = await ctx.mutate(who, (g) => planFail(g, id, who, opts));
      ctx.out({ task: r.task, already: r.already }, () => (r.already ? `Task '${id}' is already failed` : `Marked '${id}' as failed${flags.reason ? ` (${flags.reason})` : ''}`));
    });
}
