import type { Command } from 'commander';
import { discover } from '../../core/context.js';
import { requireDuration } from '../../core/time.js';
import { renderDiscover } from '../../render/context.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('discover')
    .description('what was completed recently across the graph (and its artifacts): avoid redoing work')
    .option('--since <duration>', 'time window (30m, 24h, 7d)', '24h')
    .option('--with-artifacts', 'list each task’s artifacts')
    .action(async (flags: { since: string; withArtifacts?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const windowMs = requireDuration('--since', flags.since);
      const items = discover(await ctx.fullGraph(), ctx.clock.now(), windowMs);
      ctx.out(items, () => renderDiscover(items, !!flags.withArtifacts, flags.since));
    });
}
