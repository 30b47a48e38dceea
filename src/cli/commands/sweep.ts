import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planReconcile } from '../../core/plans/reconcile.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run the reconciler now: clear claims held by dead or unknown agents (never human claims)')
    .option('--dry-run', 'show what would be cleared, change nothing')
    .action(async (flags: { dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await recoveryContext(ctx);
      const plan = (g: Graph) => planReconcile(g, rc.liveness, who, { maxRetries: rc.settings.dispatcher.maxRetries });
      const preview = flags.dryRun ? rc.preview(plan) : undefined;
      const result = preview ? preview.plan.result : (await rc.apply(who, plan)).result;
      const verb = flags.dryRun ? 'Would clear' : 'Cleared';
      ctx.out({ dry_run: !!flags.dryRun, reclaimed: result.reclaimed, ...(preview ? { plan: preview.json } : {}) }, () => [
        ...(result.reclaimed.length
          ? [`${verb} ${result.reclaimed.length} stale claim(s):`, ...result.reclaimed.map((c) => `  ${c.task_id}: ${c.agent} ${c.reason}${c.failed ? ' → failed (retries exhausted)' : ''}`)]
          : ['No stale claims']),
        ...(preview && result.reclaimed.length ? ['', DRY_RUN_HEADER, ...preview.lines] : []),
      ]);
    });
}
