import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import { parseDirection, planReset, type ResetEntry } from '../../core/plans/reset.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';

const describe = (entries: ResetEntry[]): string[] => table(entries.map((e) => [`  ${e.id}`, `was ${e.from}`, e.assigned ? `claimed by ${e.assigned}` : '', e.kill ? `(kill ${e.kill})` : '']));

export function register(program: Command): void {
  program
    .command('reset')
    .description('reopen a task and its closure with a clean slate (counters, timestamps, failures, claims)')
    .argument('<seed>', 'task id')
    .option('--direction <dir>', 'forward (dependents, default), backward (dependencies) or both', 'forward')
    .option('--dry-run', 'print the plan (status and claim changes, agents to kill), change nothing')
    .option('--yes', 'required when more than one task is reset')
    .action(async (seed: string, flags: { direction: string; dryRun?: boolean; yes?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const direction = parseDirection(flags.direction);
      const rc = await recoveryContext(ctx);
      if (flags.dryRun) {
        const p = rc.preview((g: Graph) => planReset(g, seed, direction, rc.liveness, who));
        const r = p.plan.result;
        ctx.out({ dry_run: true, tasks: r.entries, kill: r.kill, plan: p.json }, () => [`Would reset ${r.entries.length} task(s):`, ...describe(r.entries), '', DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const { result: r, killed } = await rc.apply(who, (g) => {
        const p = planReset(g, seed, direction, rc.liveness, who);
        if (p.result.entries.length > 1 && !flags.yes) {
          throw new WgError('invalid_argument', `reset of '${seed}' would reopen ${p.result.entries.length} tasks — pass --yes to confirm`, { exitCode: 1, hint: `see the plan with: wg reset ${seed} --dry-run` });
        }
        return p;
      });
      ctx.out({ tasks: r.entries, killed: killed.map((k) => k.id) }, () => [`Reset ${r.entries.length} task(s):`, ...describe(r.entries)]);
    });
}
