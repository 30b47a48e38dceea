import type { Command } from 'commander';
import type { Graph } from '../../core/graph.js';
import { planUnclaim } from '../../core/plans/claim.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext, type RecoveryContext } from '../recovery-context.js';
import type { ActionOutcome } from '../task-actions.js';

/** The unclaim plan; the old agent, if it still runs, is killed (as wg retry does): see docs/recovery.md. */
function unclaimPlan(rc: RecoveryContext, id: string, who: ReturnType<CliContext['actor']>, reason?: string) {
  const holderAlive = (g: Graph): boolean => {
    const a = g.get(id)?.assigned;
    return !!a && !!rc.liveness.get(a)?.alive;
  };
  return (g: Graph) => planUnclaim(g, id, who, reason, { holderAlive: holderAlive(g) });
}

/** `wg unclaim ID` applied (the command and the dashboards' unclaim key/button). */
export async function unclaimTask(ctx: CliContext, id: string, reason?: string): Promise<ActionOutcome> {
  const who = ctx.actor();
  const rc = await recoveryContext(ctx);
  const { result: r, killed } = await rc.apply(who, unclaimPlan(rc, id, who, reason));
  const k = killed.length ? `; killed ${killed.map((x) => `${x.id}${x.pid ? ` (PID ${x.pid})` : ''}`).join(', ')}` : '';
  return { json: { task: r.task, was: r.was ?? null, killed: killed.map((x) => x.id) }, lines: [r.was ? `Unclaimed '${id}' (was ${r.was})${k}` : `'${id}' was not claimed; now open`] };
}

export function register(program: Command): void {
  program
    .command('unclaim')
    .description('release a claim: the task goes back to open for anyone (epoch+1); a still-running agent holding it is killed')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the log')
    .option('--dry-run', 'print the plan, change nothing')
    .action(async (id: string, flags: { reason?: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.dryRun) {
        const rc = await recoveryContext(ctx);
        const p = rc.preview(unclaimPlan(rc, id, ctx.actor(), flags.reason));
        ctx.out({ dry_run: true, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const o = await unclaimTask(ctx, id, flags.reason);
      ctx.out(o.json, () => o.lines);
    });
}
