import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';
import { storeUrl } from '../../store-url.js';
import { CliContext } from '../context.js';

/** The store URL of this project: $WG_STORE_URL (no .wg/ needed), else [store] url. */
async function requireUrl(ctx: CliContext): Promise<string> {
  const url = ctx.env.WG_STORE_URL || (await storeUrl(ctx.paths, ctx.env));
  if (!url) {
    throw new WgError('invalid_config', 'no PostgreSQL store configured: this project keeps its graph in .wg/graph.jsonl', {
      hint: 'set [store] url = "postgres://…" in .wg/config.toml, or $WG_STORE_URL',
    });
  }
  return url;
}

export function register(program: Command): void {
  const store = program.command('store').description('the PostgreSQL store: create or upgrade its schema, show where it is');
  store
    .command('migrate')
    .description('create or upgrade the schema of the PostgreSQL store (safe to run from several hosts at once)')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const url = await requireUrl(ctx);
      const { isConnectionError, openPool, redactUrl, unavailable } = await import('../../store/pg/connect.js');
      const { migrate } = await import('../../store/pg/migrate.js');
      const pool = openPool(url, { max: 1, name: 'wg store migrate' });
      try {
        const r = await migrate(pool).catch((e: unknown) => {
          throw isConnectionError(e) ? unavailable(url, e) : e;
        });
        ctx.out({ url: redactUrl(url), from: r.from, to: r.to, applied: r.applied }, () =>
          r.applied.length ? r.applied.map((a) => `applied migration ${a.version}: ${a.name}`).concat(`schema at version ${r.to} (${redactUrl(url)})`) : `schema already at version ${r.to} (${redactUrl(url)})`,
        );
      } finally {
        await pool.end();
      }
    });
  store
    .command('status')
    .description('which store this project uses, and the schema version of the PostgreSQL one')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const url = ctx.env.WG_STORE_URL || (await storeUrl(ctx.paths, ctx.env));
      if (!url) {
        ctx.out({ store: 'jsonl', graph: ctx.paths.graph }, () => `store: JSONL (${ctx.paths.graph})`);
        return;
      }
      const pg = await ctx.pg();
      const { redactUrl } = await import('../../store/pg/connect.js');
      const g = await pg!.loadRows();
      ctx.out({ store: 'postgres', url: redactUrl(url), tasks: g.tasks.size, clock_offset_ms: Math.round(pg!.clock.offset) }, () => [
        `store: PostgreSQL (${redactUrl(url)})`,
        `tasks: ${g.tasks.size}`,
        `this host's clock is ${Math.round(Math.abs(pg!.clock.offset))} ms ${pg!.clock.offset >= 0 ? 'behind' : 'ahead of'} the database's (wg uses the database's)`,
      ]);
    });
}
