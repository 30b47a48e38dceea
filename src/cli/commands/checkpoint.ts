import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { requireTask } from '../../core/plan.js';
import { planCheckpoint } from '../../core/plans/progress.js';
import { CliContext } from '../context.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('checkpoint')
    .description('save where long work stands: the next attempt (after a kill, a retry, a resume) starts from it')
    .argument('<id>', 'task id')
    .argument('[summary]', 'what is done, what is next (or --summary)')
    .option('-s, --summary <text>', 'the summary (the Rust tool spelling)')
    .option('-f, --file <path>', 'a file changed since the last checkpoint (repeatable)', collect)
    .option('--list', "show the task's checkpoints")
    .action(async (id: string, positional: string | undefined, flags: { summary?: string; file?: string[]; list?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.list) {
        const task = requireTask(await ctx.fullGraph(), id);
        const entries = (task.log ?? []).filter((e) => e.message.startsWith('Checkpoint: '));
        ctx.out({ task_id: id, current: task.checkpoint ?? null, entries }, () =>
          entries.length ? [...entries.map((e) => `${e.timestamp}  ${e.actor ? `[${e.actor}] ` : ''}${e.message.slice('Checkpoint: '.length)}`), ...(typeof task.checkpoint === 'string' ? ['', 'Current:', task.checkpoint] : [])] : `No checkpoints for '${id}'`,
        );
        return;
      }
      if (positional !== undefined && flags.summary !== undefined) throw usageError('give the summary once: as an argument or with --summary');
      const summary = positional ?? flags.summary;
      if (summary === undefined) throw usageError('missing summary', `wg checkpoint ${id} "what is done; what is next"`);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planCheckpoint(g, id, summary, who, { files: flags.file ?? [] }));
      ctx.out({ task_id: id, checkpoint: r.task.checkpoint }, () => `Checkpoint saved for '${id}'`);
    });
}
