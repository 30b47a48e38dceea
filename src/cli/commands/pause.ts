import type { Command } from 'commander';
import { planPause } from '../../core/plans/annotate.js';
import { CliContext } from '../context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg pause ID` / `wg resume ID` applied (the commands and the dashboards' pause/resume key). */
export async function setPaused(ctx: CliContext, id: string, paused: boolean): Promise<ActionOutcome> {
  const who = ctx.actor();
  const r = await ctx.mutate(who, (g) => planPause(g, id, who, paused));
  const lines = paused ? [r.changed ? `Paused '${id}'` : `'${id}' is already paused`] : [r.changed ? `Resumed '${id}'` : `'${id}' is not paused`];
  return { json: { task: r.task, changed: r.changed }, lines };
}

export function register(program: Command): void {
  program
    .command('pause')
    .description('pause a task (status unchanged; not dispatched until resumed)')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await setPaused(ctx, id, true);
      ctx.out(o.json, () => o.lines);
    });
}
