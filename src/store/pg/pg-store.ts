/**
 * The PostgreSQL store: the same plans as the JSONL store, applied in one transaction each.
 *
 * Concurrency (docs/decisions.md, "PostgreSQL store"):
 * - A plan runs on this process's row copy, refreshed from the change feed at the start of the
 *   transaction (rows.ts). Every task it writes is written only if the row's `version` is still
 *   the one the plan read (`UPDATE … WHERE version = $v`): a lost race rolls back and the plan is
 *   run again on fresh rows. So no write is lost, and a zombie agent's write — its plan read the
 *   claim it lost, or the re-run finds the new claim and `checkFence` refuses — never lands
 *   (exit 3, as with JSONL).
 * - Writes that change the graph's structure (a new task, an `after` list) first take one
 *   advisory lock, so two of them cannot together build a cycle or a duplicate id.
 * - `claimNext` never waits on a contender: the core's readiness picks candidates, the row is
 *   locked with `FOR UPDATE SKIP LOCKED` (a row another claimant holds is passed over, not
 *   waited for), its dependencies are read again under `FOR SHARE`, and the core's `planClaim`
 *   decides on those fresh rows — one readiness rule.
 */
import { WgError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import type { Plan } from '../../core/plan.js';
import { systemClock, type Clock } from '../../core/time.js';
import { isPartial } from '../graph-index.js';
import { checkSchema, isRetryable, openPool, type Pool } from './connect.js';
import { PgClaims } from './claims.js';
import { LOCK_KEYS } from './migrate.js';
import { isLostRace, MAX_ATTEMPTS } from './transactions.js';
import { dedupe, type PgMutationContext } from './write-sql.js';

export type { PgMutationContext } from './write-sql.js';
export { operationRecord } from './write-sql.js';

export interface PgStoreOptions {
  /** The host's own clock (injected in tests to skew hosts); the store reads time from the database. */
  hostClock?: Clock;
  /** application_name of the connections. */
  name?: string;
  maxConnections?: number;
  /** An existing pool (tests, benches); the store then does not end it on close(). */
  pool?: Pool;
  /** A one-shot CLI: idle connections do not keep the process alive. */
  exitOnIdle?: boolean;
}

export class PgStore extends PgClaims {
  private constructor(
    url: string,
    pool: Pool,
    hostClock: Clock,
    private readonly ownPool: boolean,
  ) {
    super(url, pool, hostClock);
  }

  /** Connects, checks the schema version and reads the database clock. */
  static async open(url: string, opts: PgStoreOptions = {}): Promise<PgStore> {
    const pool = opts.pool ?? openPool(url, { max: opts.maxConnections ?? 2, name: opts.name ?? 'wg', exitOnIdle: !!opts.exitOnIdle });
    const store = new PgStore(url, pool, opts.hostClock ?? systemClock, !opts.pool);
    try {
      await checkSchema(pool, url, store.clock, () => store.hostClock.now().getTime());
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  async close(): Promise<void> {
    if (this.ownPool) await this.pool.end().catch(() => undefined);
  }

  /** Every whole task, in file order (for commands that print or scan all fields). */
  async load(): Promise<Graph> {
    return this.withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        await this.cache.refresh(client);
        const need = this.cache.wholeMissing();
        // In slices: ANY($1) over 100k ids is one big parameter, and rows arrive as they parse.
        for (let i = 0; i < need.length; i += 5000) await this.cache.fetchWhole(client, need.slice(i, i + 5000));
        return this.cache.wholeGraph();
      } finally {
        await client.query('COMMIT');
      }
    });
  }

  /**
   * The rows (for readiness, dispatch order, structure); of whole tasks only those named in
   * `whole` (the one task a command prints or checks) — `get()` of any other throws.
   */
  async loadRows(whole: readonly string[] = []): Promise<Graph> {
    return this.withClient(async (client) => {
      try {
        await this.cache.refresh(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ');
        const need = whole.filter((id) => this.cache.hasTask(id));
        if (need.length) await this.cache.fetchWhole(client, need);
        return this.cache.graph(new Set());
      } finally {
        await client.query('COMMIT');
      }
    });
  }

  /**
   * Brings this process's copy up to date (a read-only transaction; the change feed's cost);
   * the service calls it at the top of every tick, then takes what changed from `cache.takeChanges()`.
   */
  async refresh(): Promise<void> {
    await this.withClient(async (client) => {
      const sent = this.hostClock.now().getTime();
      try {
        const { before } = await this.cache.refresh(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT now() AS now; ');
        this.clock.observe(before[1]!.rows[0]!.now as Date, sent, this.hostClock.now().getTime());
        const need = this.cache.keepWhole ? this.cache.wholeMissing() : [];
        for (let i = 0; i < need.length; i += 5000) await this.cache.fetchWhole(client, need.slice(i, i + 5000));
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
    });
  }

  /**
   * Runs `plan` on fresh rows inside a transaction and applies its writes, each conditional on
   * the version the plan read; a lost race re-runs the plan. If the plan throws, nothing is
   * written. A plan with no writes writes nothing (and records no operation).
   */
  async mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: PgMutationContext): Promise<{ result: R; written: boolean }> {
    const blind = await this.tryOnCopy(plan, ctx);
    if (blind) return blind;
    let structural = false;
    for (let attempt = 1; ; attempt++) {
      const out = await this.withClient(async (client) => {
        try {
          await this.begin(client, structural ? `SELECT pg_advisory_xact_lock(${LOCK_KEYS.structure.join(', ')}); ` : '');
          const p = await this.runPlan(client, plan);
          const writes = dedupe(p.writes);
          this.checkWrites(writes);
          if (!structural && writes.some((w) => this.isStructural(w))) {
            await client.query('ROLLBACK');
            structural = true;
            return undefined;
          }
          if (!writes.length) {
            await client.query('COMMIT');
            return { result: p.result, written: false };
          }
          await this.write(client, writes, p.ops, ctx);
          return { result: p.result, written: true };
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (isLostRace(e)) this.stats.conflicts++;
          if (isRetryable(e) || isLostRace(e)) return undefined;
          throw e;
        }
      });
      if (out) return out;
      if (attempt >= MAX_ATTEMPTS) throw new WgError('lock_timeout', `gave up after ${attempt} attempts: other writers kept changing the same tasks`, { hint: 'try again' });
    }
  }

  /**
   * A long-lived process first runs the plan on its copy as it is, without refreshing, and
   * sends the writes with BEGIN and COMMIT in one round trip: each write still lands only if its
   * row is at the version the plan read (so fencing and lost writes are exactly as safe). Any
   * other outcome — a lost race, a refusal, nothing to write, a whole task not held, a
   * structural change — is decided again on fresh rows by the normal path. Measured in
   * bench/pg-claims.mjs: an agent's `done` goes from 2 round trips to 1.
   */
  private async tryOnCopy<R>(plan: (graph: Graph) => Plan<R>, ctx: PgMutationContext): Promise<{ result: R; written: true } | undefined> {
    if (!this.cache.warm) return undefined;
    const missing = new Set<string>();
    let p: Plan<R>;
    try {
      p = plan(this.cache.graph(missing));
    } catch {
      return undefined;
    }
    const writes = dedupe(p.writes);
    if (missing.size || !writes.length || writes.some((w) => isPartial(w) || this.cache.otherKind(w.id) !== undefined || this.isStructural(w))) return undefined;
    const ok = await this.withClient(async (client) => {
      try {
        await this.write(client, writes, p.ops, ctx, 'BEGIN; ');
        return true;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (isLostRace(e) || isRetryable(e)) return false;
        throw e;
      }
    });
    if (!ok) return undefined;
    this.stats.blind++;
    return { result: p.result, written: true };
  }

  /** Provenance records, oldest first (what log/operations.jsonl holds for a JSONL project). */
  async operations(limit = 1000): Promise<Array<Record<string, unknown>>> {
    return this.withClient(async (c) => {
      const r = await c.query<{ record: string }>('SELECT record FROM (SELECT seq, record FROM wg_operations ORDER BY seq DESC LIMIT $1) o ORDER BY seq', [limit]);
      return r.rows.map((x) => JSON.parse(x.record) as Record<string, unknown>);
    });
  }
}
