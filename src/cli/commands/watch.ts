/**
 * `wg watch [--since T] [--task ID] [--json] [--no-follow]`: the event stream (docs/events.md),
 * one line per event, following until Ctrl-C. `--since` takes a time (RFC 3339), an age (`10m`:
 * that long ago) or a cursor (every --json line carries one; Ctrl-C prints the last): from a
 * cursor, a restarted watch misses and repeats nothing.
 */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { eventConcernsTask } from '../../core/events.js';
import { parseDurationMs, parseTimestamp } from '../../core/time.js';
import { EventReader, isCursor, type CursoredEvent } from '../../events/source.js';
import { isPgCursor, PgEventReader } from '../../events/pg-source.js';
import type { PgStore } from '../../store/pg/pg-store.js';
import { eventLine } from '../../render/events.js';
import { CliContext } from '../context.js';

export function parseSince(value: string, now: Date): string | Date {
  if (isCursor(value) || isPgCursor(value)) return value.trim();
  const ms = /^\d+$/.test(value) ? undefined : parseDurationMs(value);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const d = parseTimestamp(value);
  if (d) return d;
  throw usageError(`invalid --since '${value}'`, "use an RFC 3339 time (2026-11-30T08:00:00Z), an age (10m, 2h, 1d) or a cursor printed by 'wg watch' (c1.…)");
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('follow what happens: task changes, claims, agents, the service (one line per event; Ctrl-C stops)')
    .option('--since <T>', 'start at a time (RFC 3339), an age (10m) or a cursor from a previous watch; default: now')
    .option('--task <id>', 'only events about this task')
    .option('--no-follow', 'print the events so far and exit')
    .action(async (flags: { since?: string; task?: string; follow: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const pg = await ctx.pg();
      if (pg) return watchPg(ctx, pg, flags);
      const paths = ctx.paths;
      const from = flags.since !== undefined ? parseSince(flags.since, ctx.clock.now()) : flags.follow ? 'end' : 'start';
      let reader: EventReader;
      try {
        reader = new EventReader(paths, { from });
      } catch (e) {
        throw usageError((e as Error).message, "pass a cursor printed by 'wg watch' (c1.…)");
      }
      await streamEvents(ctx, reader, flags, `watching ${paths.dir} (Ctrl-C stops)`);
    });
}

/**
 * PostgreSQL: every host's graph events from the database (events/pg-source.ts), woken by
 * NOTIFY; the cursor (`p1.N`) resumes a restarted watch. Service events stay per host.
 */
async function watchPg(ctx: CliContext, pg: PgStore, flags: { since?: string; task?: string; follow: boolean }): Promise<void> {
  const from = flags.since !== undefined ? parseSince(flags.since, pg.clock.now()) : flags.follow ? 'end' : 'start';
  let reader: PgEventReader;
  try {
    reader = await PgEventReader.open(pg.pool, pg.url, from);
  } catch (e) {
    throw usageError((e as Error).message, "pass a cursor printed by 'wg watch' on this project (p1.…)");
  }
  await streamEvents(ctx, reader, flags, "watching the PostgreSQL store's graph events, every host (Ctrl-C stops)");
}

/** What `wg watch` needs of a reader: the JSONL EventReader and the PostgreSQL PgEventReader. */
interface WatchedReader {
  readonly cursor: string;
  read(): CursoredEvent[] | Promise<CursoredEvent[]>;
  follow(onEvent: (e: CursoredEvent) => void, opts: { signal?: AbortSignal }): Promise<void>;
}

/**
 * Prints the events (those about `--task` only), then, with --no-follow, stops; otherwise follows
 * until Ctrl-C, SIGTERM or a closed stdout. Either way it ends with the cursor that resumes after
 * the last event read, including the ones `--task` filtered out.
 */
async function streamEvents(ctx: CliContext, reader: WatchedReader, flags: { task?: string; follow: boolean }, watching: string): Promise<void> {
  const print = (e: CursoredEvent): void => {
    if (flags.task && !eventConcernsTask(e, flags.task)) return;
    process.stdout.write((ctx.json ? JSON.stringify(e) : eventLine(e)) + '\n');
  };
  if (!flags.follow) {
    for (const e of await reader.read()) print(e);
    if (!ctx.json) process.stderr.write(`resume: wg watch --since ${reader.cursor}\n`);
    return;
  }
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', stop); // the reader went away (a closed pipe)
  process.stderr.write(watching + '\n');
  await reader.follow(print, { signal: ac.signal });
  process.stderr.write(`resume: wg watch --since ${reader.cursor}\n`);
}
