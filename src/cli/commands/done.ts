import type { Command } from 'commander';
import { companionId } from '../../core/claims.js';
import { planDone } from '../../core/plans/finish.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('done')
    .description('mark a task done (fenced when run by an agent)')
    .argument('<id>', 'task id')
    .option('--converged', 'stop the loop this task belongs to')
    .action(async (id: string, flags: { converged?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planDone(g, id, who, { converged: !!flags.converged }));
      ctx.out({ task: r.task, already: r.already, reopened: r.reopened }, () => [
        r.already ? `Task '${id}' is already ${r.task.status}` : r.task.status === 'pending-eval' ? `Marked '${id}' as pending-eval (awaiting ${companionId('evaluate', id)})` : `Marked '${id}' as done`,
        ...r.reopened.map((x) => `  Loop: re-activated '${x}'`),
      ]);
    });
}
