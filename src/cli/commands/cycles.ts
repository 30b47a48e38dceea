/** `wg cycles`: the graph's cycles, configured or not, their iteration and what would close them (core/cycles.ts). */
import type { Command } from 'commander';
import { cycleReports } from '../../core/cycles.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('cycles')
    .description('dependency cycles: members, loop configuration (cycle_config), iteration, what would close each')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const reports = cycleReports(await ctx.fullGraph());
      ctx.out(reports, () =>
        reports.length
          ? reports.flatMap((r, i) => [
              ...(i ? [''] : []),
              `Cycle ${i + 1}: ${r.configured ? `loop owned by ${r.owner}, iteration ${r.iteration}${r.max_iterations !== null ? `/${r.max_iterations}` : ''}${r.delay ? `, delay ${r.delay}` : ''}` : 'NOT CONFIGURED'} (header ${r.header})`,
              `  members: ${r.members.map((m) => `${m.id} (${m.status})`).join(', ')}`,
              ...r.closes.map((c) => `  ${c}`),
            ])
          : 'No cycles',
      );
    });
}
