import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planUnclaim } from '../../core/plans/claim.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, planRunner } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('unclaim')
    .description('release a claim: the task goes back to open for anyone (epoch+1)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (id: string, flags: { reason?: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await planRunner(ctx);
      const plan = (g: Graph) => planUnclaim(g, id, who, flags.reason);
      if (flags.dryRun) {
        const p = rc.preview(plan);
        ctx.out({ dry_run: true, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const { result: r } = await rc.apply(who, plan);
      ctx.out({ task: r.task, was: r.was ?? null }, () => (r.was ? `Unclaimed '${id}' (was ${r.was})` : `'${id}' was not claimed; now open`));
    });
}
