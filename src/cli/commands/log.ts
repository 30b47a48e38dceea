import type { Command } from 'commander';
import { planLog } from '../../core/plans/annotate.js';
import { usageError } from '../../core/errors.js';
import { requireTask } from '../../core/plan.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('log')
    .description('append a log entry to a task, or list its log (fenced when run by an agent)')
    .argument('<id>', 'task id')
    .argument('[message]', 'the entry; omit to list the log')
    .option('--actor <name>', 'who is writing (default: $WG_AGENT_ID, $WG_USER, $USER)')
    .option('--list', 'list the log (the Rust tool\'s spelling; the same as giving no message)')
    .action(async (id: string, message: string | undefined, flags: { actor?: string; list?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.list && message !== undefined) throw usageError('--list lists the log: give no message with it', `wg log ${id} --list  ·  wg log ${id} "what happened"`);
      if (message === undefined) {
        const task = requireTask(ctx.store().loadFast(), id);
        const log = task.log ?? [];
        ctx.out(log, () => (log.length ? log.map((e) => `${e.timestamp}  ${e.actor ? `[${e.actor}] ` : ''}${e.message}`) : `No log entries for '${id}'`));
        return;
      }
      const who = ctx.actor(flags.actor);
      const r = await ctx.mutate(who, (g) => planLog(g, id, message, who));
      ctx.out({ task_id: id, entry: r.task.log?.at(-1) }, () => `Logged to '${id}'`);
    });
}
