import type { Command } from 'commander';
import { planRetry } from '../../core/plans/retry.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg retry ID` applied (the command and the dashboards' retry key/button). */
export async function retryTask(ctx: CliContext, id: string, reason?: string, fresh = false): Promise<ActionOutcome> {
  const who = ctx.actor();
  const rc = await recoveryContext(ctx);
  const { result: r, killed } = await rc.apply(who, retryPlan(rc, id, who, reason, fresh));
  const signalled = killed.filter((k) => !k.notSignalled);
  return {
    json: { task: r.task, noop: r.noop ?? null, killed: killed.map((k) => k.id), cleared: r.cleared },
    lines: r.noop
      ? [r.noop]
      : [
          `Re-queued '${id}' (retry ${r.task.retry_count}${r.task.max_retries !== undefined ? `/${r.task.max_retries}` : ''})${signalled.length ? `; killed ${signalled.map((k) => `${k.id}${k.pid ? ` (PID ${k.pid})` : ''}`).join(', ')}` : ''}`,
          ...r.cleared.map((c) => `  stale claim cleared on '${c}'`),
        ],
  };
}

function retryPlan(rc: Awaited<ReturnType<typeof recoveryContext>>, id: string, who: ReturnType<CliContext['actor']>, reason: string | undefined, fresh: boolean) {
  return (g: Parameters<typeof planRetry>[0]) =>
    planRetry(g, id, rc.liveness, who, {
      debounceMs: rc.settings.dispatcher.retryDebounceMs,
      maxRetries: rc.settings.dispatcher.maxRetries,
      ...(reason ? { reason } : {}),
      ...(fresh ? { fresh: true } : {}),
    });
}

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
      if (flags.dryRun) {
        const rc = await recoveryContext(ctx);
        const p = rc.preview(retryPlan(rc, id, ctx.actor(), flags.reason, !!flags.fresh));
        ctx.out({ dry_run: true, noop: p.plan.result.noop ?? null, plan: p.json }, () => (p.plan.result.noop ? [p.plan.result.noop] : [DRY_RUN_HEADER, ...p.lines]));
        return;
      }
      const o = await retryTask(ctx, id, flags.reason, !!flags.fresh);
      ctx.out(o.json, () => o.lines);
    });
}
