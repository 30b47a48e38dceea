import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planRequeue } from '../../core/plans/requeue.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';

export function register(program: Command): void {
  program
    .command('requeue')
    .description('put an in-progress task back in the queue (its agent, if still running, is killed)')
    .argument('<id>', 'task id')
    .requiredOption('--reason <text>', 'why')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (id: string, flags: { reason: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const rc = await recoveryContext(ctx);
      // The old agent, if it still runs, is killed (as wg retry does): see docs/recovery.md.
      const holderAlive = (g: Graph): boolean => {
        const a = g.get(id)?.assigned;
        return !!a && !!rc.liveness.get(a)?.alive;
      };
      const plan = (g: Graph) => planRequeue(g, id, flags.reason, who, { holderAlive: holderAlive(g) });
      if (flags.dryRun) {
        const p = rc.preview(plan);
        ctx.out({ dry_run: true, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const { result: r, killed } = await rc.apply(who, plan);
      const k = killed.length ? `; killed ${killed.map((x) => `${x.id}${x.pid ? ` (PID ${x.pid})` : ''}`).join(', ')}` : '';
      ctx.out({ task: r.task, was: r.was ?? null, killed: killed.map((x) => x.id) }, () => `Requeued '${id}'${r.was ? ` (was ${r.was})` : ''}${k}`);
    });
}
