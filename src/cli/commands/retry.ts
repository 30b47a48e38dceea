import type { Command } from 'commander';
import { planRetry } from '../../core/plans/retry.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('retry')
    .description('re-queue a failed, incomplete or stuck task; kills its live agent; clears stale claims downstream')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .option('--fresh', 'start over: forget the previous attempt\'s agent session (the Rust tool\'s flag)')
    .option('--dry-run', 'print the plan (status and claim changes, agents to kill), change nothing')
    .action(async (id: string, flags: { reason?: string; dryRun?: boolean; fresh?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await recoveryContext(ctx);
      const plan = (g: Parameters<typeof planRetry>[0]) =>
        planRetry(g, id, rc.liveness, who, {
          debounceMs: rc.settings.dispatcher.retryDebounceMs,
          maxRetries: rc.settings.dispatcher.maxRetries,
          ...(flags.reason ? { reason: flags.reason } : {}),
          ...(flags.fresh ? { fresh: true } : {}),
        });
      if (flags.dryRun) {
        const p = rc.preview(plan);
        ctx.out({ dry_run: true, noop: p.plan.result.noop ?? null, plan: p.json }, () => (p.plan.result.noop ? [p.plan.result.noop] : [DRY_RUN_HEADER, ...p.lines]));
        return;
      }
      const { result: r, killed } = await rc.apply(who, plan);
      ctx.out({ task: r.task, noop: r.noop ?? null, killed: killed.map((k) => k.id), cleared: r.cleared }, () =>
        r.noop
          ? r.noop
          : [
              `Re-queued '${id}' (retry ${r.task.retry_count}${r.task.max_retries !== undefined ? `/${r.task.max_retries}` : ''})${killed.length ? `; killed ${killed.map((k) => `${k.id}${k.pid ? ` (PID ${k.pid})` : ''}`).join(', ')}` : ''}`,
              ...r.cleared.map((c) => `  stale claim cleared on '${c}'`),
            ],
      );
    });
}
