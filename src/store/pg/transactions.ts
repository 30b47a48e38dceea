/**
 * What every PostgreSQL store operation is built from: a connection from the pool (failures
 * become one readable error), a transaction begun together with the row copy's refresh and a
 * reading of the database clock, a pure plan run on the copy (fetching whole tasks it asks for),
 * and the version-checked write (write-sql.ts) whose rows go back into the copy.
 */
import { WgError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import type { OperationRecord, Plan } from '../../core/plan.js';
import type { Task } from '../../core/task.js';
import type { Clock } from '../../core/time.js';
import { isPartial } from '../graph-index.js';
import { DbClock, isConnectionError, unavailable, type Pool, type PoolClient } from './connect.js';
import { RowCache } from './rows.js';
import { writeSql, type PgMutationContext } from './write-sql.js';

/** A write found a row at another version than its plan read (wg_expect_rows). */
export const isLostRace = (e: unknown): boolean => (e as { code?: string })?.code === 'WG409';

/** How many times a plan is re-run after losing a race before giving up (each loss means
 * another writer committed: progress is made, so this is never reached in practice). */
export const MAX_ATTEMPTS = 100;

export class PgTransactions {
  readonly clock: DbClock;
  readonly cache = new RowCache();
  readonly stats = { conflicts: 0, skipped: 0, transactions: 0, blind: 0, oneTrip: 0 };

  protected constructor(
    readonly url: string,
    readonly pool: Pool,
    protected readonly hostClock: Clock,
  ) {
    this.clock = new DbClock(hostClock);
  }

  /** A transaction on one connection; connection failures become one readable error. */
  protected async withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unavailable(this.url, e);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (e) {
      if (isConnectionError(e)) {
        broken = true;
        this.cache.reset();
        throw unavailable(this.url, e);
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Starts a transaction (after `locks`, constant statements such as an advisory lock), reads
   * the database clock and refreshes the row copy: one round trip.
   */
  protected async begin(client: PoolClient, locks = ''): Promise<void> {
    const sent = this.hostClock.now().getTime();
    const { before } = await this.cache.refresh(client, `BEGIN; ${locks}SELECT now() AS now; `);
    const now = before[before.length - 1]!.rows[0]!.now as Date;
    this.clock.observe(now, sent, this.hostClock.now().getTime());
    this.stats.transactions++;
  }

  /** Runs the pure plan; fetches whole tasks it asked for and runs it again until it has them. */
  protected async runPlan<R>(client: PoolClient, plan: (graph: Graph) => Plan<R>, lock = ''): Promise<Plan<R>> {
    for (;;) {
      const missing = new Set<string>();
      const graph = this.cache.graph(missing);
      let p: Plan<R> | undefined;
      let err: unknown;
      try {
        p = plan(graph);
      } catch (e) {
        err = e;
      }
      // Even if the plan caught the NeedWhole itself, what it asked for is in `missing`.
      if (missing.size) {
        await this.cache.fetchWhole(client, [...missing], lock);
        continue;
      }
      if (err !== undefined) throw err;
      return p!;
    }
  }

  protected checkWrites(writes: Task[]): void {
    for (const t of writes) {
      if (isPartial(t)) throw new Error(`internal error: a plan tried to write task '${t.id}' from a partial row`);
      const kind = this.cache.otherKind(t.id);
      if (kind !== undefined) throw new WgError('already_exists', `id '${t.id}' is already used by a ${kind || 'non-task'} node`, { hint: 'choose another id with --id' });
    }
  }

  /** A new task or a changed dependency list: such writes are serialized by an advisory lock. */
  protected isStructural(w: Task): boolean {
    if (!this.cache.hasTask(w.id)) return true;
    const a = this.cache.row(w.id)?.after ?? [];
    const b = w.after ?? [];
    return a.length !== b.length || a.some((x, i) => x !== b[i]);
  }

  /**
   * The version-checked write with NOTIFY and COMMIT, one round trip (write-sql.ts); the rows
   * written go into the copy. On a lost race (WG409) the caller rolls back and re-runs the plan.
   */
  protected async write(client: PoolClient, writes: Task[], ops: OperationRecord[], ctx: PgMutationContext, prefix = ''): Promise<void> {
    const { text, rows } = writeSql(writes, (id) => this.cache.version(id), ops, ctx, prefix);
    const res = (await client.query(text)) as unknown as Array<{ rows: Array<{ id: string; seq: number; version: number }> }>;
    const byId = new Map(res[prefix ? 1 : 0]!.rows.map((r) => [r.id, r]));
    writes.forEach((w, i) => {
      const r = byId.get(w.id)!;
      this.cache.putWritten(w, rows[i]!, r.seq, r.version);
    });
  }
}
