import type { Command } from 'commander';
import { planIncomplete } from '../../core/plans/progress.js';
import { CliContext } from '../context.js';
import { saveAgentWork } from '../landing.js';

export function register(program: Command): void {
  program
    .command('incomplete')
    .description('not failed, needs another pass: release the task for another attempt (counts toward max_retries)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'what is left to do (the next attempt reads it)')
    .action(async (id: string, flags: { reason?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const settings = await ctx.settings();
      await saveAgentWork(ctx, id, who, `work so far (incomplete${flags.reason ? `: ${flags.reason}` : ''})`);
      const r = await ctx.mutate(who, (g) => planIncomplete(g, id, flags.reason, who, { maxRetries: settings.dispatcher.maxRetries }));
      ctx.out({ task: r.task, already: r.already, failed: r.failed }, () =>
        r.already ? `Task '${id}' is already incomplete` : r.failed ? `'${id}' failed: its retries are exhausted (${r.task.failure_reason})` : `Marked '${id}' incomplete: it will be dispatched again`,
      );
    });
}
