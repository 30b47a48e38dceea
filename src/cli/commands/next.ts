import type { Command } from 'commander';
import { ExitCode } from '../../core/errors.js';
import { planNext } from '../../core/plans/next.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('next')
    .description('the best next ready task for you (priority, then what it unblocks, then age); --claim takes it atomically')
    .option('--actor <name>', 'who asks (default: $WG_AGENT_ID, $WG_USER, $USER)')
    .option('--claim', 'claim it in the same step')
    .action(async (flags: { actor?: string; claim?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor(flags.actor);
      const r = flags.claim ? await ctx.mutate(who, (g) => planNext(g, who, { claim: true })) : planNext(await ctx.fullGraph(), who).result;
      if (!r) {
        ctx.out({ task: null }, () => 'Nothing ready for you: every ready task is claimed, or nothing is ready (wg status)');
        process.exitCode = ExitCode.refused;
        return;
      }
      const t = r.task;
      ctx.out({ task: t, held: r.held, claimed: r.claimed, unblocks: r.unblocks, others: r.others.map((o) => ({ id: o.task.id, priority: o.priority, unblocks: o.unblocks })) }, () => [
        r.held
          ? `You already hold '${t.id}' (epoch ${t.claim_epoch ?? 0}): ${t.title}`
          : `${r.claimed ? `Claimed '${t.id}' for ${who.actor} (epoch ${t.claim_epoch})` : `Next: '${t.id}'`}: ${t.title}`,
        ...(r.held ? [] : [`  priority ${t.priority}, unblocks ${r.unblocks} task(s)${r.claimed ? '' : `; take it with: wg claim ${t.id}`}`]),
        ...(r.others.length ? [`  then: ${r.others.slice(0, 5).map((o) => o.task.id).join(', ')}${r.others.length > 5 ? ', …' : ''}`] : []),
      ]);
    });
}
