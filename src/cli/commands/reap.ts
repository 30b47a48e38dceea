import type { Command } from 'commander';
import { parseTimestamp } from '../../core/time.js';
import { isEndedStatus, type AgentStatus } from '../../store/registry.js';
import { CliContext } from '../context.js';
import { parseDurationFlag } from '../parse.js';
import { parseDurationMs } from '../../core/time.js';

export function register(program: Command): void {
  program
    .command('reap')
    .description('drop finished agents (done, failed, dead) from the registry; their agents/<id>/ directories stay (parked and frozen agents are kept)')
    .option('--older-than <duration>', 'only agents finished longer ago than this', '1h')
    .option('--dry-run', 'list them, change nothing')
    .action(async (flags: { olderThan: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const ms = parseDurationMs(parseDurationFlag('--older-than', flags.olderThan))!;
      const cutoff = ctx.clock.now().getTime() - ms;
      const pick = (a: { status: string; completed_at?: string | undefined; started_at: string }): boolean =>
        isEndedStatus(a.status as AgentStatus) && (parseTimestamp(a.completed_at ?? a.started_at)?.getTime() ?? 0) <= cutoff;
      const removed = await ctx.updateRegistry((r) => {
        const ids = Object.values(r.agents).filter(pick).map((a) => a.id);
        if (!flags.dryRun) for (const id of ids) delete r.agents[id];
        return ids;
      });
      ctx.out({ dry_run: !!flags.dryRun, removed }, () => (removed.length ? `${flags.dryRun ? 'Would remove' : 'Removed'} ${removed.length} agent(s): ${removed.join(', ')}` : 'Nothing to reap'));
    });
}
