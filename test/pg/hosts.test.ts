/**
 * Several hosts on one database, in-process (each "host" its own store, registry and injected
 * clock): agent ids never handed out twice, leases stamped and judged in database time whatever
 * the hosts' clocks say (±5 minutes), one reconciler at a time, a dead claim reclaimed once,
 * NOTIFY waking the other hosts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessAgents } from '../../src/agents/liveness.js';
import { judgeAgent } from '../../src/core/liveness.js';
import type { Actor } from '../../src/core/plan.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planReconcile } from '../../src/core/plans/reconcile.js';
import { formatTimestamp, type Clock } from '../../src/core/time.js';
import { listen, type Listener } from '../../src/store/pg/listen.js';
import { PgRegistry } from '../../src/store/pg/registry.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { planSpawnClaim } from '../../src/core/plans/dispatch.js';
import { createDatabase, sql, type TestDatabase } from '../helpers/pg.js';

const MIN = 60_000;
let db: TestDatabase;
const closers: Array<() => Promise<void>> = [];

const skewed = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms) });

interface Host {
  id: string;
  store: PgStore;
  registry: PgRegistry;
  clock: Clock;
}

async function host(id: string, skewMs = 0): Promise<Host> {
  const clock = skewed(skewMs);
  const store = await PgStore.open(db.url, { name: id, hostClock: clock });
  closers.push(() => store.close());
  return { id, store, registry: new PgRegistry(store.pool, id), clock };
}
const actor = (h: Host, name = 'service'): Actor => ({ now: h.store.clock.now(), actor: name });

beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await db.drop();
});

describe('agent registry across hosts', () => {
  it('two hosts allocating agents at once never share an id', async () => {
    const [a, b] = [await host('host-a'), await host('host-b')];
    const ids: string[] = [];
    const spawnMany = (h: Host) =>
      (async () => {
        for (let i = 0; i < 10; i++) {
          ids.push(
            await h.registry.update((r) => {
              const id = `agent-${r.next_agent_id++}`;
              r.agents[id] = { id, task_id: `t-${id}`, status: 'working', started_at: formatTimestamp(h.store.clock.now()), host: h.id };
              return id;
            }),
          );
        }
      })();
    await Promise.all([spawnMany(a), spawnMany(b)]);
    expect(new Set(ids).size).toBe(20);
    const { registry } = await a.registry.read();
    expect(registry.next_agent_id).toBe(21);
    expect(Object.values(registry.agents).filter((x) => x.host === 'host-a')).toHaveLength(10);
  });
});

describe('leases in database time', () => {
  it('hosts whose clocks are 5 minutes ahead and behind agree on who is alive', async () => {
    const ahead = await host('ahead', +5 * MIN);
    const behind = await host('behind', -5 * MIN);
    await ahead.registry.update((r) => {
      // An agent of a third host: both judge it by its lease (no PID check across hosts).
      r.agents['agent-1'] = { id: 'agent-1', task_id: 't', status: 'working', started_at: formatTimestamp(ahead.store.clock.now()), host: 'host-c', pid: 1 };
      r.next_agent_id = 2;
    });
    expect(await ahead.registry.heartbeat('agent-1')).toBe(true); // `wg heartbeat` from host-c: stamped now()
    const judge = async (h: Host, clockMs: number) => {
      const { registry } = await h.registry.read();
      const v = judgeAgent(registry.agents['agent-1']!, undefined, { nowMs: clockMs, heartbeatTimeoutMs: MIN, host: h.id });
      return v.alive ? { alive: true } : { alive: false, reason: v.reason };
    };
    // The database's clock, as each host sees it: the same instant (within a round trip).
    expect(Math.abs(ahead.store.clock.now().getTime() - behind.store.clock.now().getTime())).toBeLessThan(1000);
    expect((await judge(behind, behind.store.clock.now().getTime())).alive).toBe(true);
    expect((await judge(ahead, ahead.store.clock.now().getTime())).alive).toBe(true);
    // (Judged by the hosts' own clocks, the host 5 minutes ahead would already call it dead.)
    expect((await judge(ahead, ahead.clock.now().getTime())).alive).toBe(false);
    // The lease runs out in database time: 61 s without a heartbeat.
    await sql(db.url, `UPDATE wg_agents SET last_heartbeat = now() - interval '61 seconds'`);
    for (const h of [ahead, behind]) {
      await h.store.loadRows(); // a transaction: the database clock is read again
      const v = await judge(h, h.store.clock.now().getTime());
      expect(v).toEqual({ alive: false, reason: 'lease expired' });
    }
    // (The host 5 minutes behind, on its own clock, would still call it alive.)
    expect((await judge(behind, behind.clock.now().getTime())).alive).toBe(true);
  });

  it('a renewal stamps now() for this host\'s agents only', async () => {
    const a = await host('host-a', 5 * MIN);
    const b = await host('host-b');
    await a.registry.update((r) => {
      r.agents['agent-1'] = { id: 'agent-1', task_id: 't1', status: 'working', started_at: 'x', host: 'host-a' };
      r.agents['agent-2'] = { id: 'agent-2', task_id: 't2', status: 'working', started_at: 'x', host: 'host-b' };
    });
    await sql(db.url, `UPDATE wg_agents SET last_heartbeat = now() - interval '1 hour'`);
    expect(await b.registry.renew(['agent-1', 'agent-2'])).toBe(1);
    const rows = await sql<{ id: string; fresh: boolean }>(db.url, `SELECT id, last_heartbeat > now() - interval '1 minute' AS fresh FROM wg_agents ORDER BY id`);
    expect(rows).toEqual([
      { id: 'agent-1', fresh: false },
      { id: 'agent-2', fresh: true },
    ]);
  });

  it('a time gate opens at the same instant for every host', async () => {
    const ahead = await host('ahead', +5 * MIN);
    const w = actor(ahead, 'alice');
    const gate = new Date(ahead.store.clock.now().getTime() + 2 * MIN);
    await ahead.store.mutate((g) => planAdd(g, { title: 'Later', id: 'later', notBefore: gate }, w), w);
    // 5 minutes ahead, the host's own clock would say the gate is open; the database says not yet.
    const who = actor(ahead, 'agent-1');
    expect(await ahead.store.claimNext(who, who)).toBeUndefined();
  });
});

describe('one reconciler, one reclaim', () => {
  it('while one host reconciles, the other skips; a dead claim is reclaimed exactly once', async () => {
    const a = await host('host-a');
    const b = await host('host-b', -5 * MIN);
    const w = actor(a, 'alice');
    for (let i = 0; i < 6; i++) await a.store.mutate((g) => planAdd(g, { title: `T${i}`, id: `t${i}` }, w), w);
    // host-b's agents hold every task, then host-b dies: its leases stop.
    for (let i = 0; i < 6; i++) {
      const id = await b.registry.update((r) => {
        const agentId = `agent-${r.next_agent_id++}`;
        r.agents[agentId] = { id: agentId, task_id: `t${i}`, status: 'working', started_at: 'x', host: 'host-b', pid: 99999 };
        return agentId;
      });
      const who = actor(b);
      const claim = await b.store.claimNext(who, who, (g, taskId) => planSpawnClaim(g, taskId, id, 'shell', undefined, who) as never);
      expect(claim).toBeDefined();
    }
    await sql(db.url, `UPDATE wg_agents SET last_heartbeat = now() - interval '2 minutes'`);

    let inside = 0;
    let maxInside = 0;
    const reconcile = async (h: Host) =>
      h.registry.asReconciler(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        const { registry } = await h.registry.read();
        const now = h.store.clock.now();
        const { liveness } = assessAgents(registry, { nowMs: now.getTime(), heartbeatTimeoutMs: MIN, host: h.id });
        const who = { now, actor: 'service' };
        const r = await h.store.mutate((g) => planReconcile(g, liveness, who), who);
        inside--;
        return r.result.reclaimed.length;
      });
    // Both hosts reconcile, over and over, at the same time.
    const results = await Promise.all([...Array(4)].flatMap(() => [reconcile(a), reconcile(b)]));
    expect(maxInside).toBe(1);
    const reclaimed = results.filter((n): n is number => n !== undefined).reduce((s, n) => s + n, 0);
    expect(reclaimed).toBe(6);
    const rows = await sql<{ line: string }>(db.url, `SELECT line FROM wg_nodes ORDER BY seq`);
    for (const r of rows) {
      const t = JSON.parse(r.line) as { status: string; retry_count?: number; assigned?: string; claim_epoch: number };
      expect(t.status).toBe('open');
      expect(t.retry_count).toBe(1);
      expect(t.assigned).toBeUndefined();
      expect(t.claim_epoch).toBe(2);
    }
  });
});

describe('LISTEN/NOTIFY', () => {
  it('a write on one host wakes the listeners of the others; a refused write does not', async () => {
    const a = await host('host-a');
    let woken = 0;
    let l: Listener | undefined;
    await new Promise<void>((res) => {
      l = listen(db.url, () => woken++, { onState: (s) => s === 'connected' && res() });
    });
    closers.push(() => l!.close());
    const base = woken; // one wake at connect (anything missed before)
    const w = actor(a, 'alice');
    await a.store.mutate((g) => planAdd(g, { title: 'Ping', id: 'ping' }, w), w);
    await expect.poll(() => woken, { timeout: 5000 }).toBe(base + 1);
    await expect(a.store.mutate((g) => planAdd(g, { title: 'Ping', id: 'ping' }, w), w)).rejects.toThrow(/already exists/);
    await new Promise((r) => setTimeout(r, 300));
    expect(woken).toBe(base + 1);
  });
});
