import type { Command } from 'commander';
import { planPause } from '../../core/plans/annotate.js';
import { CliContext } from '../context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg pause ID` applied (the command and the dashboards' pause key/button). */
export async function pauseTask(ctx: CliContext, id: string): Promise<ActionOutcome> {
  const who = ctx.actor();
  const r = await ctx.mutate(who, (g) => planPause(g, id, who, true));
  return { json: { task: r.task, changed: r.changed }, lines: [r.changed ? `Paused '${id}'` : `'${id}' is already paused`] };
}

export function register(program: Command): void {
  program
    .command('pause')
    .description('pause a task (status unchanged; not dispatched until resumed)')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await pauseTask(ctx, id);
      ctx.out(o.json, () => o.lines);
    });
}
