/**
 * Claims on the PostgreSQL store: `claim --next` and the dispatcher's claim of one task. A claim
 * never waits on a contender: candidates come from the row copy's ready set in dispatch order
 * (rows.ts), the row is locked with `FOR UPDATE SKIP LOCKED` (a row another claimant holds is
 * passed over, not waited for), and the core's plan decides on the locked row, fresh — with its
 * dependencies read again under `FOR SHARE`. One readiness rule, as with JSONL.
 *
 * A long-lived copy first tries the claim in one round trip (claimInOneTrip): tasks without
 * dependencies are ready or not by their own row alone, so a claim planned on the row at the
 * version the copy holds is exactly the claim planned on the locked row — provided the row is
 * still at that version, which the statement checks when it locks it.
 */
import pg from 'pg';
import { WgError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import type { Actor, OperationRecord, Plan } from '../../core/plan.js';
import { planClaim, type ClaimResult } from '../../core/plans/claim.js';
import type { Task } from '../../core/task.js';
import { isRetryable } from './connect.js';
import type { NodeRow } from './rows.js';
import { isLostRace, MAX_ATTEMPTS, PgTransactions } from './transactions.js';
import { claimOneSql, dedupe, type PgMutationContext } from './write-sql.js';

const { escapeLiteral } = pg;

/** How many alternative claims a one-trip claim offers (claimants of other processes may hold the first). */
const ONE_TRIP_CHOICES = 4;

export class PgClaims extends PgTransactions {
  /** Rows a claim of this process is about to lock (see claimNext). */
  private readonly claiming = new Set<string>();

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
    if (!only && this.cache.warm) {
      const fast = await this.claimInOneTrip(who, ctx, planFor);
      if (fast) return fast.result;
    }
    for (let attempt = 1; ; attempt++) {
      const reserved: string[] = [];
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
            const ranked = this.cache.candidates(who.now, (t) => !t.assigned && !passed.has(t.id), 64, only);
            // Rows a concurrent claim of this process is locking go last, and the first free one
            // is reserved: claimants of one process start from different rows instead of all
            // offering the same ones to SKIP LOCKED (they still may: a reservation is a hint).
            const candidates = [...ranked.filter((c) => !this.claiming.has(c)), ...ranked.filter((c) => this.claiming.has(c))];
            if (candidates.length && !this.claiming.has(candidates[0]!)) {
              this.claiming.add(candidates[0]!);
              reserved.push(candidates[0]!);
            }
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
        } finally {
          for (const r of reserved) this.claiming.delete(r);
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


  /**
   * The claim in one round trip, for a long-lived copy: the first few candidates without
   * dependencies whose row the copy holds, each claim planned on that row; the statement
   * (write-sql.ts, claimOneSql) claims the first whose row is still at the version planned on
   * and no contender holds. Undefined when there is nothing to offer or none could be taken:
   * the caller then decides on fresh rows. Whole tasks of the head of the order are fetched
   * ahead (one query for many claims) when the copy lacks them.
   */
  private async claimInOneTrip<R>(who: Actor, ctx: PgMutationContext, planFor: (graph: Graph, id: string) => Plan<R>): Promise<{ result: R } | undefined> {
    const ranked = this.cache.candidates(who.now, (t) => !t.assigned && !t.after?.length && !this.claiming.has(t.id), 64);
    if (!ranked.length) return undefined;
    const offer: Array<{ task: Task; ops: OperationRecord[]; result: R }> = [];
    for (let round = 0; round < 2 && !offer.length; round++) {
      const missing = new Set<string>();
      const graph = this.cache.graph(missing);
      for (const id of ranked) {
        if (offer.length >= ONE_TRIP_CHOICES || this.claiming.has(id)) continue;
        let p: Plan<R>;
        try {
          p = planFor(graph, id);
        } catch {
          continue; // a whole task not held (fetched below), or refused: the fresh path decides
        }
        const w = dedupe(p.writes);
        if (w.length !== 1 || w[0]!.id !== id || this.isStructural(w[0]!)) continue;
        this.checkWrites(w);
        offer.push({ task: w[0]!, ops: p.ops, result: p.result });
      }
      if (offer.length || !missing.size || round > 0) break;
      const need = ranked.filter((id) => !this.cache.holdsWhole(id));
      await this.withClient((c) => this.cache.fetchWhole(c, need));
    }
    if (!offer.length) return undefined;
    for (const o of offer) this.claiming.add(o.task.id);
    try {
      return await this.withClient(async (client) => {
        const { text, rows } = claimOneSql(offer, (id) => this.cache.version(id), ctx);
        let res: Array<{ rows: Array<{ id: string; seq: number; version: number }> }>;
        try {
          res = (await client.query(text)) as unknown as typeof res;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (isRetryable(e)) return undefined;
          throw e;
        }
        const got = res[1]!.rows[0];
        if (!got) {
          this.stats.skipped += offer.length;
          return undefined;
        }
        const i = offer.findIndex((o) => o.task.id === got.id);
        this.cache.putWritten(offer[i]!.task, rows[i]!, got.seq, got.version);
        this.stats.oneTrip++;
        return { result: offer[i]!.result };
      });
    } finally {
      for (const o of offer) this.claiming.delete(o.task.id);
    }
  }
}
