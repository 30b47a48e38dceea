import type { Command } from 'commander';
import { planRmDep } from '../../core/plans/deps.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('rm-dep')
    .description('remove the dependency of A on B')
    .argument('<a>', 'dependent task id')
    .argument('<b>', 'dependency task id')
    .action(async (a: string, b: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planRmDep(g, a, b, who));
      ctx.out({ dependent: a, dependency: b, changed: r.changed }, () => (r.changed ? `Unlinked: '${a}' after '${b}'` : `'${a}' does not depend on '${b}'`));
    });
}
