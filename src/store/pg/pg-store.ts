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
import pg from 'pg';
import { WgError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import type { Actor, OperationRecord, Plan } from '../../core/plan.js';
import { planClaim, type ClaimResult } from '../../core/plans/claim.js';
import { byDispatchOrder, readyTasks } from '../../core/readiness.js';
import { serializeTask, type Task } from '../../core/task.js';
import { formatTimestamp, systemClock, type Clock } from '../../core/time.js';
import { isPartial, toRow } from '../graph-index.js';
import { checkSchema, DbClock, isConnectionError, isRetryable, openPool, unavailable, type Pool, type PoolClient } from './connect.js';
import { LOCK_KEYS } from './migrate.js';
import { RowCache, type NodeRow } from './rows.js';

/** A write found a row at another version than its plan read (wg_expect_rows). */
const isLostRace = (e: unknown): boolean => (e as { code?: string })?.code === 'WG409';

export interface PgMutationContext {
  actor?: string;
  user?: string;
  now: Date;
}

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

/** How many times a plan is re-run after losing a race before giving up (each loss means
 * another writer committed: progress is made, so this is never reached in practice). */
const MAX_ATTEMPTS = 100;
const { escapeLiteral } = pg;

export class PgStore {
  readonly clock: DbClock;
  readonly cache = new RowCache();
  private readonly ownPool: boolean;
  readonly stats = { conflicts: 0, skipped: 0, transactions: 0, blind: 0 };

  private constructor(
    readonly url: string,
    readonly pool: Pool,
    private readonly hostClock: Clock,
    ownPool: boolean,
  ) {
    this.clock = new DbClock(hostClock);
    this.ownPool = ownPool;
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

  /** A transaction on one connection; connection failures become one readable error. */
  private async withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
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
  private async begin(client: PoolClient, locks = ''): Promise<void> {
    const sent = this.hostClock.now().getTime();
    const { before } = await this.cache.refresh(client, `BEGIN; ${locks}SELECT now() AS now; `);
    const now = before[before.length - 1]!.rows[0]!.now as Date;
    this.clock.observe(now, sent, this.hostClock.now().getTime());
    this.stats.transactions++;
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

  /** Runs the pure plan; fetches whole tasks it asked for and runs it again until it has them. */
  private async runPlan<R>(client: PoolClient, plan: (graph: Graph) => Plan<R>, lock = ''): Promise<Plan<R>> {
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

  private checkWrites(writes: Task[]): void {
    for (const t of writes) {
      if (isPartial(t)) throw new Error(`internal error: a plan tried to write task '${t.id}' from a partial row`);
      const kind = this.cache.otherKind(t.id);
      if (kind !== undefined) throw new WgError('already_exists', `id '${t.id}' is already used by a ${kind || 'non-task'} node`, { hint: 'choose another id with --id' });
    }
  }

  /** A new task or a changed dependency list: such writes are serialized by an advisory lock. */
  private isStructural(w: Task): boolean {
    if (!this.cache.hasTask(w.id)) return true;
    const a = this.cache.row(w.id)?.after ?? [];
    const b = w.after ?? [];
    return a.length !== b.length || a.some((x, i) => x !== b[i]);
  }

  /**
   * One round trip: a statement with the updates (each conditional on its version), the
   * inserts, the operations and the change-feed entries — which raises WG409 unless every row
   * was written — then NOTIFY and COMMIT. Values travel as escaped literals (simple protocol:
   * several statements in one message); on a lost race the caller rolls back and re-runs the plan.
   */
  private async write(client: PoolClient, writes: Task[], ops: OperationRecord[], ctx: PgMutationContext, prefix = ''): Promise<void> {
    const lit = (v: string | null): string => (v === null ? 'NULL' : escapeLiteral(v));
    const arr = (xs: Array<string | null>, type: string): string => `ARRAY[${xs.join(',')}]::${type}[]`;
    const rows: Task[] = writes.map((w) => toRow(w));
    const cols = {
      id: writes.map((w) => lit(w.id)),
      version: writes.map((w) => String(this.cache.version(w.id) ?? 0)),
      line: writes.map((w) => lit(serializeTask(w))),
      row: rows.map((r) => lit(JSON.stringify(r))),
      status: writes.map((w) => lit(w.status)),
      priority: writes.map((w) => String(Math.trunc(w.priority))),
      assigned: writes.map((w) => lit(w.assigned ?? null)),
      epoch: writes.map((w) => String(Math.trunc(w.claim_epoch ?? 0))),
      paused: writes.map((w) => (w.paused ? 'true' : 'false')),
    };
    const records = ops.map((o) => lit(operationRecord(o, ctx)));
    const text = `${prefix}WITH w AS (
         SELECT * FROM unnest(${arr(cols.id, 'text')}, ${arr(cols.version, 'bigint')}, ${arr(cols.line, 'text')}, ${arr(cols.row, 'text')}, ${arr(cols.status, 'text')},
                              ${arr(cols.priority, 'int')}, ${arr(cols.assigned, 'text')}, ${arr(cols.epoch, 'int')}, ${arr(cols.paused, 'bool')})
           WITH ORDINALITY AS w(id, version, line, row, status, priority, assigned, claim_epoch, paused, ord)
       ), upd AS (
         UPDATE wg_nodes n SET line = w.line, row = w.row, status = w.status, priority = w.priority, assigned = w.assigned,
                claim_epoch = w.claim_epoch, paused = w.paused, version = n.version + 1, updated_at = now()
           FROM w WHERE w.version > 0 AND n.id = w.id AND n.version = w.version AND n.kind = 'task'
         RETURNING n.id, n.seq, n.version
       ), ins AS (
         INSERT INTO wg_nodes (id, kind, line, row, status, priority, assigned, claim_epoch, paused)
         SELECT id, 'task', line, row, status, priority, assigned, claim_epoch, paused FROM w WHERE w.version = 0 ORDER BY ord
         ON CONFLICT (id) DO NOTHING
         RETURNING id, seq, version
       ), ops AS (
         INSERT INTO wg_operations (record) SELECT unnest(${arr(records, 'text')})
       ), ch AS (
         INSERT INTO wg_changes (id) SELECT unnest(${arr(cols.id, 'text')})
       )
       SELECT x.id, x.seq, x.version
         FROM (SELECT wg_expect_rows((SELECT count(*) FROM upd) + (SELECT count(*) FROM ins), ${writes.length})) chk
         LEFT JOIN (SELECT id, seq, version FROM upd UNION ALL SELECT id, seq, version FROM ins) x ON true;
       NOTIFY wg_changed; COMMIT`;
    const res = (await client.query(text)) as unknown as Array<{ rows: Array<{ id: string; seq: number; version: number }> }>;
    const byId = new Map(res[prefix ? 1 : 0]!.rows.map((r) => [r.id, r]));
    writes.forEach((w, i) => {
      const r = byId.get(w.id)!;
      this.cache.putWritten(w, rows[i]!, r.seq, r.version);
    });
  }

  /**
   * `claim --next`: the first ready, unclaimed task in dispatch order that no contender holds.
   * `planFor` builds the claim (default: the core's planClaim as `who`); the dispatcher passes
   * its own (claim for an agent it is about to spawn).
   */
  async claimNext<R = ClaimResult>(
    who: Actor,
    ctx: PgMutationContext,
    planFor: (graph: Graph, id: string) => Plan<R> = (g, id) => {
      const p = planClaim(g, id, who) as unknown as Plan<R>;
      return { ...p, ops: p.ops.map((o) => ({ ...o, detail: { ...o.detail, next: true } })) };
    },
    only?: ReadonlySet<string>,
  ): Promise<R | undefined> {
    for (let attempt = 1; ; attempt++) {
      const out = await this.withClient(async (client) => {
        try {
          // A long-lived copy picks candidates from what it holds and sends BEGIN with the lock
          // (one round trip); it refreshes only when none of them is still free. Stale
          // candidates cost nothing: the lock's WHERE skips what others claimed, and the claim
          // is decided on the locked row, fresh.
          let begun = false;
          let fresh = false;
          if (attempt > 1 || !this.cache.warm) {
            await this.begin(client);
            begun = fresh = true;
          }
          const passed = new Set<string>();
          for (;;) {
            const missing = new Set<string>();
            const graph = this.cache.graph(missing);
            const candidates = byDispatchOrder(readyTasks(graph, who.now).filter((t) => !t.assigned && !passed.has(t.id) && (!only || only.has(t.id))))
              .slice(0, 64)
              .map((t) => t.id);
            if (!candidates.length) {
              if (!fresh) {
                if (begun) await this.cache.refresh(client);
                else await this.begin(client);
                begun = fresh = true;
                continue;
              }
              await client.query('COMMIT');
              return { done: true as const, result: undefined };
            }
            // The first candidate no contender holds, locked; rows others hold are skipped, not waited for.
            const ids = `ARRAY[${candidates.map((c) => escapeLiteral(c)).join(',')}]::text[]`;
            const lock = `SELECT id, seq, kind, version, row, line FROM wg_nodes
                WHERE id = ANY(${ids}) AND kind = 'task' AND status IN ('open', 'incomplete') AND assigned IS NULL
                ORDER BY array_position(${ids}, id) LIMIT 1 FOR UPDATE SKIP LOCKED`;
            let row: NodeRow | undefined;
            if (begun) row = (await client.query<NodeRow>(lock)).rows[0];
            else {
              const sent = this.hostClock.now().getTime();
              const r = (await client.query(`BEGIN; SELECT now() AS now; ${lock}`)) as unknown as [unknown, { rows: Array<{ now: Date }> }, { rows: NodeRow[] }];
              this.clock.observe(r[1].rows[0]!.now, sent, this.hostClock.now().getTime());
              row = r[2].rows[0];
              begun = true;
            }
            const id = row?.id;
            if (!id) {
              // Every candidate is held or was just claimed: look again at what committed.
              for (const c of candidates) passed.add(c);
              if (only) {
                // The dispatcher asked for these tasks only: another host has them. Skip, never wait.
                await client.query('COMMIT');
                return { done: true as const, result: undefined };
              }
              this.stats.skipped += candidates.length;
              await this.cache.refresh(client);
              fresh = true;
              continue;
            }
            // Fresh rows under lock: the task itself (just read), and what its readiness reads.
            this.cache.put(row!);
            const after = this.cache.row(id)?.after ?? [];
            if (after.length) await this.cache.fetchWhole(client, [...after, ...after.map((d) => `.evaluate-${d}`)], 'FOR SHARE');
            let p: Plan<R>;
            try {
              p = await this.runPlan(client, (g) => planFor(g, id));
            } catch (e) {
              if (e instanceof WgError && (e.code === 'not_ready' || e.code === 'invalid_transition')) {
                passed.add(id);
                continue;
              }
              throw e;
            }
            const writes = dedupe(p.writes);
            this.checkWrites(writes);
            if (!writes.length) {
              await client.query('COMMIT');
              return { done: true as const, result: p.result };
            }
            await this.write(client, writes, p.ops, ctx);
            return { done: true as const, result: p.result };
          }
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (isLostRace(e)) this.stats.conflicts++;
          if (isRetryable(e) || isLostRace(e)) return undefined;
          throw e;
        }
      });
      if (out) return out.result;
      if (attempt >= MAX_ATTEMPTS) throw new WgError('lock_timeout', `gave up claiming after ${attempt} attempts`, { hint: 'try again' });
    }
  }

  /**
   * The dispatcher's claim of one task it decided to run: the row is locked with SKIP LOCKED, so
   * when another host's dispatcher holds it this returns undefined at once instead of waiting;
   * the claim itself is `plan` on the fresh row.
   */
  async claimTask<R>(taskId: string, plan: (graph: Graph) => Plan<R>, ctx: PgMutationContext): Promise<R | undefined> {
    const who: Actor = { now: ctx.now, actor: ctx.actor ?? 'service' };
    return this.claimNext<R>(who, ctx, (g) => plan(g), new Set([taskId]));
  }

  /** Provenance records, oldest first (what log/operations.jsonl holds for a JSONL project). */
  async operations(limit = 1000): Promise<Array<Record<string, unknown>>> {
    return this.withClient(async (c) => {
      const r = await c.query<{ record: string }>('SELECT record FROM (SELECT seq, record FROM wg_operations ORDER BY seq DESC LIMIT $1) o ORDER BY seq', [limit]);
      return r.rows.map((x) => JSON.parse(x.record) as Record<string, unknown>);
    });
  }
}

/** Last write of a task wins; its position is its first write's. */
function dedupe(writes: Task[]): Task[] {
  const at = new Map<string, number>();
  const out: Task[] = [];
  for (const w of writes) {
    const i = at.get(w.id);
    if (i === undefined) {
      at.set(w.id, out.length);
      out.push(w);
    } else out[i] = w;
  }
  return out;
}

/** The provenance record, as the JSONL store writes it to log/operations.jsonl. */
export function operationRecord(o: OperationRecord, ctx: PgMutationContext): string {
  return JSON.stringify({
    timestamp: formatTimestamp(ctx.now),
    op: o.op,
    ...(o.task_id ? { task_id: o.task_id } : {}),
    ...(ctx.actor ? { actor: ctx.actor } : {}),
    ...(ctx.user ? { user: ctx.user } : {}),
    ...(o.detail ? { detail: o.detail } : {}),
  });
}
