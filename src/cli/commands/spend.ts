/** `wg spend [--by task|agent|model|day] [--since T]`: token and cost totals (core/spend.ts). */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { spend, SPEND_BY, startOfDay, usageRecords, type SpendBy, type SpendRow } from '../../core/spend.js';
import { parseDurationMs, parseTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { readArchive } from '../../store/archive.js';
import { CliContext } from '../context.js';

const n = (x: number): string => x.toLocaleString('en-US');
const usd = (x: number): string => `$${x.toFixed(4)}`;

function parseSince(v: string, now: Date): Date {
  if (v === 'today') return startOfDay(now);
  const ms = /^\d+$/.test(v) ? undefined : parseDurationMs(v);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const d = parseTimestamp(v) ?? (/^\d{4}-\d{2}-\d{2}$/.test(v) ? parseTimestamp(`${v}T00:00:00Z`) : undefined);
  if (!d) throw usageError(`invalid --since '${v}'`, 'use today, an age (7d, 12h), a date (2026-11-01) or an RFC 3339 time');
  return d;
}

const cells = (r: SpendRow): string[] => [r.key, String(r.attempts), n(r.input_tokens), n(r.output_tokens), n(r.cache_read_input_tokens), usd(r.cost_usd)];

export function register(program: Command): void {
  program
    .command('spend')
    .description('token and cost totals from recorded usage, by task, agent, model or day')
    .option('--by <what>', 'task | agent | model | day', 'task')
    .option('--since <T>', 'only usage since: today, an age (7d), a date or an RFC 3339 time')
    .action(async (flags: { by: string; since?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (!SPEND_BY.includes(flags.by as SpendBy)) throw usageError(`invalid --by '${flags.by}'`, `use one of: ${SPEND_BY.join(', ')}`);
      const by = flags.by as SpendBy;
      const now = ctx.clock.now();
      const since = flags.since !== undefined ? parseSince(flags.since, now) : undefined;
      const graph = (await ctx.pg()) ? await ctx.fullGraph() : ctx.store().load().graph;
      const tasks = [...graph.tasks.values(), ...[...readArchive(ctx.paths).values()].map((e) => e.task)];
      const { rows, total } = spend(usageRecords(Object.values((await ctx.registry()).agents), tasks), by, since);
      ctx.out({ by, since: since?.toISOString() ?? null, rows, total }, () =>
        rows.length
          ? [...table([...rows.map(cells), cells(total)], { header: [by.toUpperCase(), 'ATTEMPTS', 'INPUT', 'OUTPUT', 'CACHE READ', 'COST'] })]
          : `No token usage recorded${since ? ` since ${since.toISOString()}` : ''}`,
      );
    });
}
