import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { buildContext } from '../../core/context.js';
import { MessageStore, readerName, requireReaderName } from '../../store/messages.js';
import { renderContextSections } from '../../render/context.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('context')
    .description("what you need beyond the task: dependencies' artifacts and logs, checkpoint, earlier attempts, unread messages")
    .argument('[id]', 'task id (default: $WG_TASK_ID)')
    .option('--dependents', 'also show the tasks that wait for this one')
    .option('--agent <reader>', 'whose unread messages (default: $WG_AGENT_ID, else you)')
    .action(async (id: string | undefined, flags: { dependents?: boolean; agent?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const taskId = id ?? ctx.env.WG_TASK_ID;
      if (!taskId) throw usageError('missing task id', 'wg context ID (or run it as an agent, with WG_TASK_ID set)');
      const graph = await ctx.fullGraph();
      const reader = flags.agent ? requireReaderName(flags.agent) : ctx.env.WG_AGENT_ID ? requireReaderName(ctx.env.WG_AGENT_ID) : readerName(ctx.user ?? 'user');
      const c0 = buildContext(graph, taskId, { dependents: !!flags.dependents });
      // Unread messages are shown, not marked read: `wg msg read` does that.
      const pg = await ctx.pg();
      const unread = pg ? await new (await import('../../store/pg/messages.js')).PgMessages(pg.pool).unread(c0.id, reader, false) : new MessageStore(ctx.paths).unread(c0.id, reader, false);
      const c = { ...c0, unread };
      ctx.out(c, () => [`# Context for ${c.id} (${c.status}): ${c.title}`, '', ...renderContextSections(c, { emptyNote: true })]);
    });
}
