/**
 * The PostgreSQL store in-process, on a real server: schema migrations (concurrent), plans
 * applied in one transaction, optimistic version checks (no lost writes, zombies fenced),
 * claim --next with SKIP LOCKED (no task claimed twice), unknown fields and foreign lines kept,
 * the change feed (a long-lived copy sees exactly what others committed).
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WgError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/plan.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planAddDep } from '../../src/core/plans/deps.js';
import { planDone } from '../../src/core/plans/finish.js';
import { planLog } from '../../src/core/plans/annotate.js';
import { planClaim } from '../../src/core/plans/claim.js';
import { migrate } from '../../src/store/pg/migrate.js';
import { LATEST_SCHEMA } from '../../src/store/pg/migrations.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { exportGraph, importGraph } from '../../src/store/pg/transfer.js';
import { createDatabase, sql, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
const stores: PgStore[] = [];
const pools: pg.Pool[] = [];

async function open(name = 'test'): Promise<PgStore> {
  const s = await PgStore.open(db.url, { name });
  stores.push(s);
  return s;
}
function pool(): pg.Pool {
  const p = new pg.Pool({ connectionString: db.url, max: 2 });
  pools.push(p);
  return p;
}
const who = (s: PgStore, actor = 'alice', patch: Partial<Actor> = {}): Actor => ({ now: s.clock.now(), actor, user: 'alice', ...patch });
const ctx = (w: Actor) => ({ now: w.now, actor: w.actor });

beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const p of pools.splice(0)) await p.end();
  await db.drop();
});

describe('schema', () => {
  it('migrate creates the schema once, even when five hosts run it at once', async () => {
    const fresh = await createDatabase({ migrate: false });
    const ps = Array.from({ length: 5 }, () => new pg.Pool({ connectionString: fresh.url, max: 1 }));
    try {
      const results = await Promise.all(ps.map((p) => migrate(p)));
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(results.every((r) => r.to === LATEST_SCHEMA)).toBe(true);
      const rows = await sql<{ version: number }>(fresh.url, 'SELECT version FROM wg_schema_migrations');
      expect(rows.map((r) => r.version)).toEqual([LATEST_SCHEMA]);
    } finally {
      for (const p of ps) await p.end();
      await fresh.drop();
    }
  });

  it('a store on a database without the schema says to migrate', async () => {
    const fresh = await createDatabase({ migrate: false });
    try {
      const err = await PgStore.open(fresh.url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WgError);
      expect((err as WgError).message).toMatch(/has no workgraph schema/);
      expect((err as WgError).hint).toMatch(/wg store migrate/);
    } finally {
      await fresh.drop();
    }
  });

  it('an unreachable server is one readable error', async () => {
    const u = new URL(db.url);
    u.port = '1';
    const err = await PgStore.open(u.toString()).catch((e: unknown) => e);
    expect((err as WgError).code).toBe('store_unavailable');
    expect((err as WgError).message).not.toContain(new URL(db.url).password);
  });
});

describe('plans applied in one transaction', () => {
  it('adds, claims and completes a task; the operations are recorded', async () => {
    const s = await open();
    const w = who(s);
    const { result } = await s.mutate((g) => planAdd(g, { title: 'First task' }, w), ctx(w));
    expect(result.task.id).toBe('first-task');
    await s.mutate((g) => planClaim(g, 'first-task', w), ctx(w));
    await s.mutate((g) => planDone(g, 'first-task', w), ctx(w));
    const g = await s.load();
    expect(g.get('first-task')!.status).toBe('done');
    expect(g.get('first-task')!.claim_epoch).toBe(1);
    expect((await s.operations()).map((o) => o.op)).toEqual(['add_task', 'claim', 'done']);
  });

  it('a plan that throws writes nothing', async () => {
    const s = await open();
    const w = who(s);
    await s.mutate((g) => planAdd(g, { title: 'A', id: 'a' }, w), ctx(w));
    await expect(s.mutate((g) => planAddDep(g, 'a', 'a', w), ctx(w))).rejects.toThrow(WgError);
    const rows = await sql<{ version: number }>(db.url, `SELECT version FROM wg_nodes WHERE id = 'a'`);
    expect(Number(rows[0]!.version)).toBe(1);
  });

  it('concurrent writers on one task lose nothing: 40 log entries from 8 stores all land', async () => {
    const seed = await open();
    const w0 = who(seed);
    await seed.mutate((g) => planAdd(g, { title: 'Busy', id: 'busy' }, w0), ctx(w0));
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => open(`w${i}`)));
    await Promise.all(
      writers.map(async (s, i) => {
        for (let k = 0; k < 5; k++) {
          const w = who(s, `writer-${i}`);
          await s.mutate((g) => planLog(g, 'busy', `entry ${i}.${k}`, w), ctx(w));
        }
      }),
    );
    const t = (await seed.load()).get('busy')!;
    const messages = (t.log ?? []).map((l) => l.message).filter((m) => m.startsWith('entry'));
    expect(messages).toHaveLength(40);
    expect(new Set(messages).size).toBe(40);
    expect(writers.reduce((n, s) => n + s.stats.conflicts, 0)).toBeGreaterThan(0); // the races were real
  });

  it('a zombie agent that lost its claim cannot complete or log (claim_lost, exit 3)', async () => {
    const s = await open();
    const w = who(s);
    await s.mutate((g) => planAdd(g, { title: 'Job', id: 'job' }, w), ctx(w));
    await s.mutate((g) => planClaim(g, 'job', who(s, 'agent-1')), ctx(w));
    // The claim moves to agent-2 (epoch 2) after a reclaim.
    await sql(db.url, `SELECT 1`);
    const human = who(s, 'bob');
    const { planUnclaim } = await import('../../src/core/plans/claim.js');
    await s.mutate((g) => planUnclaim(g, 'job', human), ctx(human));
    await s.mutate((g) => planClaim(g, 'job', who(s, 'agent-2')), ctx(w));
    const zombie = who(s, 'agent-1', { agentId: 'agent-1', fenceTaskId: 'job', fenceEpoch: 1 });
    const other = await open('zombie-host');
    for (const plan of [(g: Parameters<typeof planDone>[0]) => planDone(g, 'job', zombie), (g: Parameters<typeof planDone>[0]) => planLog(g, 'job', 'still here', zombie)]) {
      const err = (await other.mutate(plan, ctx(zombie)).catch((e: unknown) => e)) as WgError;
      expect(err.code).toBe('claim_lost');
      expect(err.exitCode).toBe(3);
    }
    const t = (await s.load()).get('job')!;
    expect(t.status).toBe('in-progress');
    expect(t.assigned).toBe('agent-2');
    expect(t.claim_epoch).toBe(3);
  });
});

describe('claim --next', () => {
  it('12 contenders on 3 connections each claim distinct tasks, in priority order, none twice', async () => {
    const seed = await open();
    const w0 = who(seed);
    for (let i = 0; i < 30; i++) await seed.mutate((g) => planAdd(g, { title: `T${i}`, id: `t${i}`, priority: i % 3 }, w0), ctx(w0));
    // A blocked task of top priority is never claimed.
    await seed.mutate((g) => planAdd(g, { title: 'Blocked', id: 'blocked', priority: 99, after: ['t0'] }, w0), ctx(w0));
    const contenders = await Promise.all(Array.from({ length: 12 }, (_, i) => open(`c${i}`)));
    const claimed: Array<{ by: string; id: string }> = [];
    await Promise.all(
      contenders.map(async (s, i) => {
        for (;;) {
          const w = who(s, `agent-${i + 1}`);
          const r = await s.claimNext(w, ctx(w));
          if (!r) return;
          claimed.push({ by: w.actor, id: r.task.id });
        }
      }),
    );
    const ids = claimed.map((c) => c.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(ids).not.toContain('blocked');
    const rows = await sql<{ id: string; assigned: string; claim_epoch: number }>(db.url, `SELECT id, assigned, claim_epoch FROM wg_nodes WHERE status = 'in-progress'`);
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      expect(r.claim_epoch).toBe(1);
      expect(claimed.find((c) => c.id === r.id)!.by).toBe(r.assigned);
    }
    // Which racer finishes first is chance (12 racers, 10 top-priority tasks: a fast one may take
    // its second task before a slow one takes its first), so priority order is checked on one
    // claimant: the highest priority first, then the oldest.
    for (let i = 0; i < 6; i++) await seed.mutate((g) => planAdd(g, { title: `U${i}`, id: `u${i}`, priority: i % 3 }, w0), ctx(w0));
    const order: string[] = [];
    const one = contenders[0]!;
    for (;;) {
      const w = who(one, 'agent-1');
      const r = await one.claimNext(w, ctx(w));
      if (!r) break;
      order.push(r.task.id);
    }
    expect(order).toEqual(['u2', 'u5', 'u1', 'u4', 'u0', 'u3']);
  });

  it('a task becomes claimable when its dependency is done (readiness from the core, on fresh rows)', async () => {
    const a = await open('a');
    const b = await open('b');
    const w = who(a);
    await a.mutate((g) => planAdd(g, { title: 'Dep', id: 'dep' }, w), ctx(w));
    await a.mutate((g) => planAdd(g, { title: 'Next', id: 'next', after: ['dep'] }, w), ctx(w));
    const wb = who(b, 'agent-9');
    expect((await b.claimNext(wb, ctx(wb)))!.task.id).toBe('dep');
    expect(await b.claimNext(wb, ctx(wb))).toBeUndefined();
    await a.mutate((g) => planDone(g, 'dep', who(a, 'agent-9')), ctx(w));
    expect((await b.claimNext(wb, ctx(wb)))!.task.id).toBe('next');
  });
});

describe('lossless', () => {
  const text = [
    '# a comment line',
    '{"kind":"task","id":"x","title":"X","status":"open","priority":10,"zeta":{"nested":[1,2.50,"z"]},"alpha":true}',
    '',
    '{"kind":"resource","id":"gpu","capacity":2,"future":"field"}',
    '{"kind":"task","id":"y","title":"Y","status":"open","priority":10,"after":["x"],"custom_field":"kept"}',
  ].join('\n') + '\n';

  it('import then export gives back the same bytes; edits keep unknown fields', async () => {
    const p = pool();
    await importGraph(p, db.url, text);
    expect((await exportGraph(p)).text).toBe(text);
    const s = await open();
    const w = who(s);
    await s.mutate((g) => planLog(g, 'y', 'touched', w), ctx(w));
    const out = (await exportGraph(p)).text.split('\n');
    expect(out[0]).toBe('# a comment line');
    expect(out[2]).toBe('');
    expect(out[3]).toBe('{"kind":"resource","id":"gpu","capacity":2,"future":"field"}');
    expect(JSON.parse(out[4]!)).toMatchObject({ id: 'y', custom_field: 'kept' });
    expect(out[1]).toBe('{"kind":"task","id":"x","title":"X","status":"open","priority":10,"zeta":{"nested":[1,2.50,"z"]},"alpha":true}');
    // A new task may not take a resource's id.
    const err = (await s.mutate((g) => planAdd(g, { title: 'gpu', id: 'gpu' }, w), ctx(w)).catch((e: unknown) => e)) as WgError;
    expect(err.code).toBe('already_exists');
  });

  it('import refuses a non-empty store without --replace, and a corrupt file names its line', async () => {
    const p = pool();
    await importGraph(p, db.url, text);
    await expect(importGraph(p, db.url, text)).rejects.toThrow(/already holds 5 lines/);
    await expect(importGraph(p, db.url, '{"id":"ok","title":"t"}\n{not json\n', { replace: true })).rejects.toThrow(/graph.jsonl:2: invalid JSON/);
    expect((await exportGraph(p)).text).toBe(text);
    await importGraph(p, db.url, '{"kind":"task","id":"only","title":"Only","status":"open","priority":10}\n', { replace: true });
    expect((await exportGraph(p)).lines).toBe(1);
  });
});

describe('the change feed', () => {
  it('a long-lived copy refreshes exactly what other processes committed', async () => {
    const reader = await open('reader');
    const writer = await open('writer');
    const w = who(writer);
    for (let i = 0; i < 5; i++) await writer.mutate((g) => planAdd(g, { title: `T${i}`, id: `t${i}` }, w), ctx(w));
    await reader.loadRows();
    expect(reader.cache.stats.reloads).toBe(1);
    await writer.mutate((g) => planLog(g, 't3', 'hello', w), ctx(w));
    const g = await reader.loadRows();
    expect(reader.cache.stats.reloads).toBe(1);
    expect(reader.cache.stats.refreshed).toBe(1);
    expect(g.tasks.size).toBe(5);
    const whole = await reader.load();
    expect(whole.get('t3')!.log!.at(-1)!.message).toBe('hello');
  });
});
