import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planRecover } from '../../core/plans/recover.js';
import { CliContext } from '../context.js';
import { collect, parseCount } from '../parse.js';
import { DRY_RUN_HEADER, planRunner } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('recover')
    .description('batch re-queue of failed tasks (a dry run unless --yes)')
    .option('--filter <expr>', 'status=S, id=ID, id-prefix=P, tag=T, attempts<=N (<, >=, >, =), error~TEXT (repeatable: all must match)', collect)
    .option('--keep-agency', 'keep failed .evaluate-/.flip-/.assign- companions (default: abandon them)')
    .option('--max-attempts <n>', 'skip tasks already re-queued this many times', '5')
    .option('--reason <text>', 'why, for the log')
    .option('--yes', 'do it (otherwise only show the plan)')
    .option('--dry-run', 'only show the plan, even with --yes (the default without --yes)')
    .action(async (flags: { filter?: string[]; keepAgency?: boolean; maxAttempts: string; reason?: string; yes?: boolean; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const opts = { filters: flags.filter ?? [], keepAgency: !!flags.keepAgency, maxAttempts: parseCount('--max-attempts', flags.maxAttempts), ...(flags.reason ? { reason: flags.reason } : {}) };
      const plan = (g: Graph) => planRecover(g, opts, who);
      const apply = !!flags.yes && !flags.dryRun;
      const rc = await planRunner(ctx);
      const preview = apply ? undefined : rc.preview(plan);
      const r = preview ? preview.plan.result : (await rc.apply(who, plan)).result;
      const verb = apply ? 'Re-queued' : 'Would re-queue';
      ctx.out({ dry_run: !apply, ...r, ...(preview ? { plan: preview.json } : {}) }, () => [
        r.recovered.length ? `${verb} ${r.recovered.length} task(s): ${r.recovered.join(', ')}` : 'No failed tasks match',
        ...(r.abandoned.length ? [`${apply ? 'Abandoned' : 'Would abandon'} companions: ${r.abandoned.join(', ')}`] : []),
        ...r.skipped.map((s) => `  skipped ${s.id}: ${s.why}`),
        ...(preview && r.recovered.length ? ['', DRY_RUN_HEADER, ...preview.lines, '', 'Run again with --yes to apply.'] : []),
      ]);
    });
}
