import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { planClaim } from '../../core/plans/claim.js';
import { ExitCode } from '../../core/errors.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('claim')
    .description('claim a task (in-progress, owned by you); --next takes the first ready task')
    .argument('[id]', 'task id')
    .option('--next', 'claim the highest-priority ready, unclaimed task')
    .option('--actor <name>', 'claimant (default: $WG_AGENT_ID, $WG_USER, $USER)')
    .option('--force', 'claim even if the task is not ready')
    .action(async (id: string | undefined, flags: { next?: boolean; actor?: string; force?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor(flags.actor);
      if (flags.next && id) throw usageError('give either a task id or --next, not both');
      if (!flags.next && !id) throw usageError('missing task id', 'wg claim ID, or wg claim --next');
      if (flags.next) {
        const r = await ctx.claimNext(who);
        if (!r) {
          ctx.out({ claimed: null }, () => 'No ready, unclaimed task to claim');
          process.exitCode = ExitCode.refused;
          return;
        }
        ctx.out({ claimed: r.task.id, task: r.task }, () => `Claimed '${r.task.id}' for ${who.actor} (epoch ${r.task.claim_epoch})`);
        return;
      }
      const r = await ctx.mutate(who, (g) => planClaim(g, id!, who, { force: !!flags.force }));
      ctx.out({ claimed: r.task.id, task: r.task, already: r.already }, () =>
        r.already ? `'${r.task.id}' is already claimed by ${who.actor} (epoch ${r.task.claim_epoch})` : `Claimed '${r.task.id}' for ${who.actor} (epoch ${r.task.claim_epoch})`,
      );
    });
}
