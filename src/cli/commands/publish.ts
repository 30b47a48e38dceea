import type { Command } from 'commander';
import { planPublish } from '../../core/plans/gate.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('publish')
    .description('publish a draft (wg add --paused): check its dependencies, then unpause it and its paused downstream tasks')
    .argument('<id>', 'task id')
    .option('--only', 'publish only this task, not its paused downstream')
    .action(async (id: string, flags: { only?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planPublish(g, id, who, { only: !!flags.only }));
      ctx.out({ published: r.published }, () =>
        r.published.length ? [`Published '${id}'${r.published.length > 1 ? ` and ${r.published.length - 1} downstream task(s)` : ''}: ${r.published.join(', ')}`] : `Nothing to publish: '${id}'${flags.only ? '' : ' and its downstream'} are not paused`,
      );
    });
}
