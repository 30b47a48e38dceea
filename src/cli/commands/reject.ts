import type { Command } from 'commander';
import { planReject } from '../../core/plans/gate.js';
import { WorktreeRecords } from '../../store/worktrees.js';
import { CliContext } from '../context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg reject ID --reason TEXT` applied (the command and the dashboards' reject key/button). */
export async function rejectTask(ctx: CliContext, id: string, reason: string): Promise<ActionOutcome> {
  const who = ctx.actor();
  const settings = await ctx.settings();
  const r = await ctx.mutate(who, (g) => planReject(g, id, reason, who, { maxRejections: settings.dispatcher.maxRejections }));
  // The rejected work stays on its branch: the next attempt continues it (retry in place).
  const records = new WorktreeRecords(ctx.paths);
  for (const rec of records.ofTask(id)) if (rec.state === 'pending-approval') records.update(rec.agent, { state: 'unmerged', note: `rejected: ${reason.trim()}` }, who.now);
  return {
    json: { task: r.task, rejections: r.rejections, max_rejections: r.max, failed: r.failed },
    lines: [
      r.failed
        ? `Rejected '${id}' (${r.rejections}/${r.max}) — that was the last allowed rejection: the task failed`
        : `Rejected '${id}' (${r.rejections}/${r.max}) — re-opened; the next attempt gets your reason`,
    ],
  };
}

export function register(program: Command): void {
  program
    .command('reject')
    .description('reject a task awaiting validation: it re-opens with your reason for the next attempt (fails after max_rejections)')
    .argument('<id>', 'task id')
    .requiredOption('--reason <text>', 'what must change (the next attempt reads it)')
    .action(async (id: string, flags: { reason: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await rejectTask(ctx, id, flags.reason);
      ctx.out(o.json, () => o.lines);
    });
}
