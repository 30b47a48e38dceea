import type { Command } from 'commander';
import { planRetry } from '../../core/plans/retry.js';
import { CliContext } from '../context.js';
import { recoveryContext } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('retry')
    .description('re-queue a failed, incomplete or stuck task; kills its live agent; clears stale claims downstream')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .action(async (id: string, flags: { reason?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await recoveryContext(ctx);
      // The graph changes first (claim released, epoch+1), then the old agent is killed: the
      // service may respawn at once, and the old agent, fenced, can no longer touch the task.
      const r = await ctx.mutate(who, (g) =>
        planRetry(g, id, rc.liveness, who, {
          debounceMs: rc.dispatch.retryDebounceMs,
          ...(rc.config.dispatcher.max_retries !== undefined ? { maxRetries: rc.config.dispatcher.max_retries } : {}),
          ...(flags.reason ? { reason: flags.reason } : {}),
        }),
      );
      const killed = r.kill ? await rc.kill([r.kill], `killed by wg retry ${id}`) : [];
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
