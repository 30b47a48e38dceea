import type { Command } from 'commander';
import { DEFAULT_MAX_RETRIES } from '../../core/liveness.js';
import { planReconcile } from '../../core/plans/reconcile.js';
import { CliContext } from '../context.js';
import { recoveryContext } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run the reconciler now: clear claims held by dead or unknown agents (never human claims)')
    .option('--dry-run', 'show what would be cleared, change nothing')
    .action(async (flags: { dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await recoveryContext(ctx);
      const opts = { maxRetries: rc.config.dispatcher.max_retries ?? DEFAULT_MAX_RETRIES };
      const result = flags.dryRun ? planReconcile((await ctx.graph()), rc.liveness, who, opts).result : await ctx.mutate(who, (g) => planReconcile(g, rc.liveness, who, opts));
      const verb = flags.dryRun ? 'Would clear' : 'Cleared';
      ctx.out({ dry_run: !!flags.dryRun, reclaimed: result.reclaimed }, () =>
        result.reclaimed.length
          ? [`${verb} ${result.reclaimed.length} stale claim(s):`, ...result.reclaimed.map((c) => `  ${c.task_id}: ${c.agent} ${c.reason}${c.failed ? ' → failed (retries exhausted)' : ''}`)]
          : 'No stale claims',
      );
    });
}
