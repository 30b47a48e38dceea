import type { Command } from 'commander';
import { requireTask } from '../../core/plan.js';
import { planApprove } from '../../core/plans/gate.js';
import { requireFrom } from '../../core/transitions.js';
import { CliContext } from '../context.js';
import { landGate, taskWork } from '../landing.js';
import type { ActionOutcome } from '../task-actions.js';

/** `wg approve ID` applied (the command and the dashboards' approve key/button). */
export async function approveTask(ctx: CliContext, id: string, ignoreUnmergedWorktree = false): Promise<ActionOutcome> {
  const who = ctx.actor();
  const task = requireTask(ctx.store().loadFast(), id);
  let notes: string[] = [];
  let cleanup = async (): Promise<void> => undefined;
  if (task.status !== 'done') {
    requireFrom('approve', task, 'approve it');
    const landed = await landGate(ctx, task, who, await taskWork(ctx, task, who), 'approve', ignoreUnmergedWorktree);
    notes = landed.notes;
    cleanup = landed.cleanup;
  }
  const r = await ctx.mutate(who, (g) => planApprove(g, id, who, { notes }));
  await cleanup();
  return {
    json: { task: r.task, already: r.already, reopened: r.reopened, notes },
    lines: [r.already ? `Task '${id}' is already done` : `Approved '${id}' — it is done`, ...r.reopened.map((x) => `  Loop: re-activated '${x}'`)],
  };
}

export function register(program: Command): void {
  program
    .command('approve')
    .description('approve a task awaiting validation (pending-validation or pending-eval → done); lands its worktree branch')
    .argument('<id>', 'task id')
    .option('--ignore-unmerged-worktree', 'approve even if the worktree branch cannot be merged (it is left for review)')
    .action(async (id: string, flags: { ignoreUnmergedWorktree?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await approveTask(ctx, id, !!flags.ignoreUnmergedWorktree);
      ctx.out(o.json, () => o.lines);
    });
}
