import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { isStatus, isSystemId, STATUSES } from '../../core/task.js';
import { oneLine } from '../../render/escape.js';
import { STATUS_MARK } from '../../render/table.js';
import { CliContext } from '../context.js';
import { collect } from '../parse.js';

export function register(program: Command): void {
  program
    .command('list')
    .description('list tasks in graph order')
    .option('--status <status>', 'only this status (repeatable)', collect)
    .option('--tag <tag>', 'only tasks with this tag (repeatable: all must match)', collect)
    .option('--paused', 'only paused tasks')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { status?: string[]; tag?: string[]; paused?: boolean; all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      for (const s of flags.status ?? []) if (!isStatus(s)) throw usageError(`unknown status '${s}'`, `use one of: ${STATUSES.join(', ')}`);
      // --json prints whole task objects: read them whole (the listing itself needs only rows).
      const graph = await ctx.graph({ rows: !ctx.json });
      const tasks = graph
        .all()
        .filter((t) => flags.all || !isSystemId(t.id))
        .filter((t) => !flags.status || flags.status.includes(t.status))
        .filter((t) => !flags.tag || flags.tag.every((tag) => (t.tags ?? []).includes(tag)))
        .filter((t) => !flags.paused || t.paused);
      // JSON rows are whole task objects (the listing itself reads rows from the index).
      ctx.out(ctx.json ? tasks.map((t) => graph.get(t.id)!) : [], () =>
        tasks.length
          ? tasks.map((t) => `${STATUS_MARK[t.status] ?? '[?]'} ${oneLine(t.id)} - ${oneLine(t.title)}${t.priority !== 10 ? ` p${t.priority}` : ''}${t.paused ? ' [PAUSED]' : ''}${t.assigned ? ` (${oneLine(t.assigned)})` : ''}${t.tags?.length ? ` [${oneLine(t.tags.join(', '))}]` : ''}`)
          : 'No tasks found',
      );
    });
}
