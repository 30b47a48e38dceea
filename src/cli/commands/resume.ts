import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { setPaused } from './pause.js';

export function register(program: Command): void {
  program
    .command('resume')
    .description('resume a paused task')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const o = await setPaused(ctx, id, false);
      ctx.out(o.json, () => o.lines);
    });
}
