import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planRequeue } from '../../core/plans/requeue.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, planRunner } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('requeue')
    .description('put an in-progress task back in the queue (its agent is stopped by the service)')
    .argument('<id>', 'task id')
    .requiredOption('--reason <text>', 'why')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (id: string, flags: { reason: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await planRunner(ctx);
      const plan = (g: Graph) => planRequeue(g, id, flags.reason, who);
      if (flags.dryRun) {
        const p = rc.preview(plan);
        ctx.out({ dry_run: true, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const { result: r } = await rc.apply(who, plan);
      ctx.out({ task: r.task, was: r.was ?? null }, () => `Requeued '${id}'${r.was ? ` (was ${r.was})` : ''}`);
    });
}
