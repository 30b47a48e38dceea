import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planUnclaim } from '../../core/plans/claim.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, planRunner } from '../recovery-context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg unclaim ID` applied (the command and the dashboards' unclaim key/button). */
export async function unclaimTask(ctx: CliContext, id: string, reason?: string): Promise<ActionOutcome> {
  const who = ctx.actor();
  const { result: r } = await planRunner(ctx).apply(who, (g: Graph) => planUnclaim(g, id, who, reason));
  return { json: { task: r.task, was: r.was ?? null }, lines: [r.was ? `Unclaimed '${id}' (was ${r.was})` : `'${id}' was not claimed; now open`] };
}

export function register(program: Command): void {
  program
    .command('unclaim')
    .description('release a claim: the task goes back to open for anyone (epoch+1)')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (id: string, flags: { reason?: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.dryRun) {
        const who = ctx.actor();
        const p = planRunner(ctx).preview((g: Graph) => planUnclaim(g, id, who, flags.reason));
        ctx.out({ dry_run: true, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const o = await unclaimTask(ctx, id, flags.reason);
      ctx.out(o.json, () => o.lines);
    });
}
