import type { Command } from 'commander';
import { planAddDep } from '../../core/plans/deps.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('add-dep')
    .description('make A depend on B (A runs after B)')
    .argument('<a>', 'dependent task id')
    .argument('<b>', 'dependency task id')
    .action(async (a: string, b: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planAddDep(g, a, b, who));
      ctx.out({ dependent: a, dependency: b, changed: r.changed }, () => (r.changed ? `Linked: '${a}' after '${b}'` : `'${a}' already depends on '${b}'`));
    });
}
