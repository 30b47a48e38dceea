import type { Command } from 'commander';
import { planRecover } from '../../core/plans/recover.js';
import { CliContext } from '../context.js';
import { collect, parseCount } from '../parse.js';

export function register(program: Command): void {
  program
    .command('recover')
    .description('batch re-queue of failed tasks (a dry run unless --yes)')
    .option('--filter <expr>', 'status=S, id=ID, id-prefix=P, tag=T, attempts<=N (<, >=, >, =), error~TEXT (repeatable: all must match)', collect)
    .option('--keep-agency', 'keep failed .evaluate-/.flip-/.assign- companions (default: abandon them)')
    .option('--max-attempts <n>', 'skip tasks already re-queued this many times', '5')
    .option('--reason <text>', 'why, for the log')
    .option('--yes', 'do it (otherwise only show the plan)')
    .action(async (flags: { filter?: string[]; keepAgency?: boolean; maxAttempts: string; reason?: string; yes?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const opts = { filters: flags.filter ?? [], keepAgency: !!flags.keepAgency, maxAttempts: parseCount('--max-attempts', flags.maxAttempts), ...(flags.reason ? { reason: flags.reason } : {}) };
      const r = flags.yes ? await ctx.mutate(who, (g) => planRecover(g, opts, who)) : planRecover((await ctx.graph()), opts, who).result;
      const verb = flags.yes ? 'Re-queued' : 'Would re-queue';
      ctx.out({ dry_run: !flags.yes, ...r }, () => [
        r.recovered.length ? `${verb} ${r.recovered.length} task(s): ${r.recovered.join(', ')}` : 'No failed tasks match',
        ...(r.abandoned.length ? [`${flags.yes ? 'Abandoned' : 'Would abandon'} companions: ${r.abandoned.join(', ')}`] : []),
        ...r.skipped.map((s) => `  skipped ${s.id}: ${s.why}`),
        ...(!flags.yes && r.recovered.length ? ['Run again with --yes to apply.'] : []),
      ]);
    });
}
