import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';
import { writeFileDurable } from '../../store/atomic-write.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write the graph to a graph.jsonl file, every line as stored (to move a project between stores)')
    .requiredOption('--to <file>', 'the file to write')
    .option('--force', 'overwrite the file if it exists')
    .action(async (flags: { to: string; force?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const to = resolve(flags.to);
      if (existsSync(to) && !flags.force) throw new WgError('already_exists', `${flags.to} exists`, { hint: 'choose another file, or pass --force to overwrite it' });
      const pg = await ctx.pg();
      let text: string;
      let tasks: number;
      if (pg) {
        const { exportGraph } = await import('../../store/pg/transfer.js');
        const r = await exportGraph(pg.pool);
        text = r.text;
        tasks = r.tasks;
      } else {
        // Validated first (a corrupt graph fails here, naming its line), then copied as bytes.
        tasks = ctx.store().load().graph.tasks.size;
        text = readFileSync(ctx.paths.graph, 'utf8');
      }
      writeFileDurable(to, text);
      ctx.out({ to, tasks, bytes: Buffer.byteLength(text) }, () => `exported ${tasks} tasks to ${flags.to}`);
    });
}
