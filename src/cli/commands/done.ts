import type { Command } from 'commander';
import { companionId } from '../../core/claims.js';
import { requireTask } from '../../core/plan.js';
import { planDone } from '../../core/plans/finish.js';
import { JsonlStore } from '../../store/store.js';
import { CliContext } from '../context.js';
import { landGate, taskWork, verifyGate } from '../landing.js';

export function register(program: Command): void {
  program
    .command('done')
    .description('mark a task done (fenced when run by an agent): runs its verify command, lands its worktree branch')
    .argument('<id>', 'task id')
    .option('--converged', 'stop the loop this task belongs to')
    .option('--skip-verify', "don't run the task's verify command (humans only)")
    .option('--ignore-unmerged-worktree', 'finish even if the worktree branch cannot be merged (it is left for review)')
    .action(async (id: string, flags: { converged?: boolean; skipVerify?: boolean; ignoreUnmergedWorktree?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      // Checked first on a lock-free read (fencing, status, dependencies), so nothing runs for a
      // done that would be refused; the same plan runs again under the lock at the end.
      // (No read warning here: the write under the lock says what it has to about repeated ids —
      // one error for this task's, a warning for others'. With PostgreSQL, the database's rows.)
      const graph = (await ctx.pg()) ? await ctx.graph({ rows: true, whole: [id] }) : new JsonlStore(ctx.paths).loadFast();
      const task = requireTask(graph, id);
      const dry = planDone(graph, id, who, { converged: !!flags.converged });
      const notes: string[] = [];
      let cleanup = async (): Promise<void> => undefined;
      if (!dry.result.already) {
        const work = await taskWork(ctx, task, who);
        notes.push(...(await verifyGate(ctx, task, who, work, !!flags.skipVerify)));
        const landed = await landGate(ctx, task, who, work, 'done', !!flags.ignoreUnmergedWorktree);
        notes.push(...landed.notes);
        cleanup = landed.cleanup;
      }
      const r = await ctx.mutate(who, (g) => planDone(g, id, who, { converged: !!flags.converged, notes }));
      await cleanup();
      ctx.out({ task: r.task, already: r.already, reopened: r.reopened, notes }, () => [
        r.already
          ? `Task '${id}' is already ${r.task.status}`
          : r.task.status === 'pending-eval'
            ? `Marked '${id}' as pending-eval (awaiting ${companionId('evaluate', id)})`
            : r.task.status === 'pending-validation'
              ? `Marked '${id}' as pending-validation: a human approves (wg approve ${id}) or rejects (wg reject ${id} --reason …)`
              : `Marked '${id}' as done`,
        ...r.reopened.map((x) => `  Loop: re-activated '${x}'`),
      ]);
    });
}
