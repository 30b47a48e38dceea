import type { Command } from 'commander';
import { planResume } from '../../core/plans/resume.js';
import { CliContext } from '../context.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg resume ID [--only]` applied (the command and the dashboards' resume key/button). */
export async function resumeTask(ctx: CliContext, id: string, only = false): Promise<ActionOutcome> {
  const who = ctx.actor();
  const r = await ctx.mutate(who, (g) => planResume(g, id, who, { only }));
  return {
    json: { task: r.task, changed: r.changed, downstream: r.downstream },
    lines: [!r.changed ? `'${id}' is not paused` : r.downstream.length ? `Resumed '${id}' and ${r.downstream.length} downstream task(s): ${r.downstream.join(', ')}` : `Resumed '${id}'`],
  };
}

export function register(program: Command): void {
  program
    .command('resume')
    .description('resume a paused task and the paused tasks downstream of it (as the Rust tool; --only: just this one)')
    .argument('<id>', 'task id')
    .option('--only', 'resume only this task, not its paused downstream')
    .action(async (id: string, flags: { only?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await resumeTask(ctx, id, !!flags.only);
      ctx.out(o.json, () => o.lines);
    });
}
