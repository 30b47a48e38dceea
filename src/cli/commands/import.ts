import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';
import { writeFileDurable } from '../../store/atomic-write.js';
import { parseGraph } from '../../store/graph-file.js';
import { acquireLock } from '../../store/lock.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('import')
    .description('load a graph.jsonl file into this project\'s store, every line kept (unknown fields and kinds included)')
    .requiredOption('--from <file>', 'the graph.jsonl to load')
    .option('--replace', 'replace a graph that is not empty')
    .action(async (flags: { from: string; replace?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      let text: string;
      try {
        text = readFileSync(flags.from, 'utf8');
      } catch (e) {
        throw new WgError('not_found', `cannot read ${flags.from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const pg = await ctx.pg();
      let tasks: number;
      if (pg) {
        const { importGraph } = await import('../../store/pg/transfer.js');
        tasks = (await importGraph(pg.pool, pg.url, text, { label: flags.from, ...(flags.replace ? { replace: true } : {}) })).tasks;
      } else {
        const file = parseGraph(text, flags.from);
        const lock = await acquireLock(ctx.paths.lock);
        try {
          const current = ctx.store().load().file;
          if (current.lines.some((l) => l.id !== undefined) && !flags.replace) {
            throw new WgError('already_exists', `${ctx.paths.graph} already holds ${current.tasks.length} tasks`, { hint: "import into an empty project, or pass --replace (export first: 'wg export --to backup.jsonl')" });
          }
          writeFileDurable(ctx.paths.graph, text);
        } finally {
          lock.release();
        }
        tasks = file.tasks.length;
        ctx.kick();
      }
      ctx.out({ from: flags.from, tasks }, () => `imported ${tasks} tasks from ${flags.from}`);
    });
}
