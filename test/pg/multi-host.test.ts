/**
 * Several hosts on one PostgreSQL store, with real services and real agent processes. A "host"
 * is a project directory of its own (its .wg/ for agents' files and the service's socket) with
 * its own host id ($WG_HOST_ID) and, where it matters, its own clock ($WG_CLOCK_SKEW_MS); they
 * share nothing but the database — as two machines would.
 *
 * - two services share one graph: every task runs exactly once, on either host;
 * - 16 processes on two hosts race `claim --next`: no task claimed twice;
 * - a host killed with kill -9 (service and agents): its tasks are reclaimed by the other host
 *   after the lease, each exactly once — with the hosts' clocks 5 minutes apart either way;
 * - the database restarted under load: the services reconnect, nothing lost or doubled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, sql, urlFor, type TestDatabase } from '../helpers/pg.js';
import { safeKill, sleep } from '../helpers/proc.js';
import { wg, wgAsync } from '../helpers/wg.js';

const MIN = 60_000;
const cluster = resolve(__dirname, '../../scripts/pg-cluster.sh');

interface Host {
  id: string;
  dir: string;
  env: Record<string, string>;
  run(args: string[]): ReturnType<typeof wg>;
  servicePid?: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function database(): Promise<TestDatabase> {
  const db = await createDatabase();
  cleanups.push(() => db.drop());
  return db;
}

function host(url: string, id: string, opts: { maxAgents?: number; skewMs?: number; heartbeat?: string } = {}): Host {
  const dir = mkdtempSync(join(tmpdir(), `wg-${id}-`));
  const env: Record<string, string> = { WG_HOST_ID: id, ...(opts.skewMs ? { WG_CLOCK_SKEW_MS: String(opts.skewMs) } : {}) };
  const run = (args: string[]) => wg(dir, args, env);
  if (run(['init']).code !== 0) throw new Error('wg init failed');
  writeFileSync(
    join(dir, '.wg', 'config.toml'),
    `[dispatcher]\nexecutor = "shell"\nmax_agents = ${opts.maxAgents ?? 2}\nsettling_delay = "0s"\npoll_interval = "500ms"\nheartbeat_timeout = "${opts.heartbeat ?? '3s'}"\nkill_grace = "1s"\n\n[store]\nurl = "${url}"\n`,
  );
  const h: Host = { id, dir, env, run };
  cleanups.push(async () => {
    await stopHost(url, h);
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

function startService(h: Host): number {
  const r = h.run(['service', 'start', '--json']);
  if (r.code !== 0) throw new Error(`service start on ${h.id} failed: ${r.stderr}`);
  h.servicePid = (JSON.parse(r.stdout) as { pid: number }).pid;
  return h.servicePid;
}

/** Every agent process group of this host (from the shared registry), then its service, by PID. */
async function killHost(url: string, h: Host): Promise<void> {
  const rows = await sql<{ record: string }>(url, `SELECT record FROM wg_agents WHERE host = $1`, [h.id]).catch(() => []);
  for (const r of rows) {
    const rec = JSON.parse(r.record) as { pid?: number; pgid?: number };
    if (rec.pgid) safeKill(-rec.pgid);
    else if (rec.pid) safeKill(rec.pid);
  }
  if (h.servicePid) safeKill(h.servicePid);
}

async function stopHost(url: string, h: Host): Promise<void> {
  if (h.servicePid) h.run(['service', 'stop']);
  await killHost(url, h);
}

interface TaskLine {
  id: string;
  status: string;
  retry_count?: number;
  dispatch_count?: number;
  assigned?: string;
  claim_epoch?: number;
}
const tasks = async (url: string): Promise<TaskLine[]> => (await sql<{ line: string }>(url, `SELECT line FROM wg_nodes WHERE kind = 'task' ORDER BY seq`)).map((r) => JSON.parse(r.line) as TaskLine);

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

describe('two hosts, one PostgreSQL store', () => {
  it('two services share one graph: every task runs exactly once, on both hosts', async () => {
    const db = await database();
    const a = host(db.url, 'host-a');
    const b = host(db.url, 'host-b');
    expect(a.run(['store', 'migrate']).code).toBe(0);
    startService(a);
    startService(b);
    // Both are up before the work arrives: NOTIFY wakes both, and each runs at most 2 at once.
    for (let i = 0; i < 10; i++) expect(a.run(['add', `Job ${i}`, '--id', `job-${i}`, '--exec', 'sleep 0.5']).code).toBe(0);
    await until('all 10 jobs done', async () => (await tasks(db.url)).every((t) => t.status === 'done'), 40_000);
    const ts = await tasks(db.url);
    for (const t of ts) {
      expect(t.dispatch_count, JSON.stringify(t)).toBe(1);
      expect(t.retry_count ?? 0, t.id).toBe(0);
    }
    const agents = await sql<{ id: string; host: string; task_id: string; status: string }>(db.url, `SELECT id, host, task_id, status FROM wg_agents`);
    expect(agents).toHaveLength(10);
    expect(new Set(agents.map((x) => x.task_id)).size).toBe(10);
    expect(new Set(agents.map((x) => x.host))).toEqual(new Set(['host-a', 'host-b']));
    const services = await sql<{ host: string }>(db.url, `SELECT host FROM wg_services ORDER BY host`);
    expect(services.map((s) => s.host)).toEqual(['host-a', 'host-b']);
  }, 90_000);

  it('16 processes on two hosts race claim --next: no task claimed twice', async () => {
    const db = await database();
    const a = host(db.url, 'host-a', { skewMs: 5 * MIN });
    const b = host(db.url, 'host-b', { skewMs: -5 * MIN });
    for (let i = 0; i < 12; i++) expect(a.run(['add', `Task ${i}`, '--id', `t-${i}`]).code).toBe(0);
    const racers = Array.from({ length: 16 }, (_, k) => {
      const h = k % 2 ? b : a;
      return wgAsync(h.dir, ['claim', '--next', '--actor', `racer-${k}`, '--json'], h.env);
    });
    const results = await Promise.all(racers);
    const won = results.filter((r) => r.code === 0).map((r) => (JSON.parse(r.stdout) as { claimed: string }).claimed);
    const lost = results.filter((r) => r.code === 1);
    expect(won).toHaveLength(12);
    expect(new Set(won).size).toBe(12);
    expect(lost).toHaveLength(4);
    for (const r of lost) expect(JSON.parse(r.stdout)).toEqual({ claimed: null });
    for (const t of await tasks(db.url)) {
      expect(t.status).toBe('in-progress');
      expect(t.claim_epoch).toBe(1);
    }
  }, 150_000);

  it('a host killed with kill -9: its tasks are reclaimed by the other host after the lease, each once, whatever the clocks say', async () => {
    const db = await database();
    // host-b runs everything first; its agents would run for a minute there, and finish at once on host-a.
    const b = host(db.url, 'host-b', { maxAgents: 3, skewMs: -5 * MIN });
    const a = host(db.url, 'host-a', { maxAgents: 3, skewMs: +5 * MIN });
    for (let i = 0; i < 3; i++) expect(b.run(['add', `Work ${i}`, '--id', `work-${i}`, '--exec', 'if [ "$WG_HOST_ID" = host-b ]; then sleep 60; fi']).code).toBe(0);
    startService(b);
    await until('host-b runs all three', async () => (await sql(db.url, `SELECT 1 FROM wg_agents WHERE host = 'host-b' AND status = 'working'`)).length === 3, 20_000);
    startService(a);
    // Both alive, for longer than the lease: host-a (5 minutes ahead) reclaims nothing.
    await sleep(4500);
    let ts = await tasks(db.url);
    expect(ts.map((t) => [t.status, t.retry_count ?? 0])).toEqual([
      ['in-progress', 0],
      ['in-progress', 0],
      ['in-progress', 0],
    ]);
    const killedAt = (await sql<{ now: Date }>(db.url, 'SELECT now() AS now'))[0]!.now.getTime();
    await killHost(db.url, b);
    await until('host-a finished all three', async () => (await tasks(db.url)).every((t) => t.status === 'done'), 30_000);
    ts = await tasks(db.url);
    for (const t of ts) {
      expect(t.retry_count, t.id).toBe(1);
      expect(t.dispatch_count, t.id).toBe(2);
    }
    const reclaims = await sql<{ record: string; at: Date }>(db.url, `SELECT record, at FROM wg_operations WHERE record LIKE '%"op":"reclaim"%' ORDER BY seq`);
    expect(reclaims.map((r) => (JSON.parse(r.record) as { task_id: string }).task_id).sort()).toEqual(['work-0', 'work-1', 'work-2']);
    for (const r of reclaims) {
      const after = r.at.getTime() - killedAt;
      // After the lease (3 s from the last renewal, which was at most ~1 s before the kill), not before.
      expect(after).toBeGreaterThan(1500);
      expect(after).toBeLessThan(10_000);
    }
    const onA = await sql<{ task_id: string }>(db.url, `SELECT task_id FROM wg_agents WHERE host = 'host-a' AND status = 'done'`);
    expect(onA.map((x) => x.task_id).sort()).toEqual(['work-0', 'work-1', 'work-2']);
  }, 90_000);
});

describe('the database restarted under load', () => {
  it('services reconnect; nothing is lost or doubled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-pg-restart-'));
    const base = execFileSync('bash', [cluster, 'start', dir], { encoding: 'utf8' }).trim();
    cleanups.push(() => {
      execFileSync('bash', [cluster, 'stop', dir]);
    });
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query('CREATE DATABASE wg_restart');
    await admin.end();
    const url = urlFor(base, 'wg_restart');
    // Leases longer than the outage: an agent whose service cannot renew its lease for longer
    // than heartbeat_timeout is (rightly) judged dead by the other host.
    const a = host(url, 'host-a', { maxAgents: 3, heartbeat: '30s' });
    const b = host(url, 'host-b', { maxAgents: 3, heartbeat: '30s' });
    expect(a.run(['store', 'migrate']).code).toBe(0);
    for (let i = 0; i < 16; i++) expect(a.run(['add', `Job ${i}`, '--id', `job-${i}`, '--exec', 'sleep 0.5']).code).toBe(0);
    startService(a);
    startService(b);
    await until('some jobs done', async () => (await tasks(url)).some((t) => t.status === 'done'), 20_000);
    execFileSync('bash', [cluster, 'restart', dir, 'fast']);
    try {
      await until('all 16 jobs done', async () => (await tasks(url).catch(() => [] as TaskLine[])).filter((t) => t.status === 'done').length === 16, 60_000);
    } catch (e) {
      const open = (await tasks(url)).filter((t) => t.status !== 'done');
      const agents = await sql(url, `SELECT id, host, task_id, status FROM wg_agents WHERE status <> 'done'`);
      const errors = [a, b].map((h) => readFileSync(join(h.dir, '.wg', 'service', 'daemon.log'), 'utf8').split('\n').filter((l) => /error|store:|spawn:failed/.test(l)).slice(-6).join('\n'));
      throw new Error(`${(e as Error).message}\nnot done: ${JSON.stringify(open)}\nagents: ${JSON.stringify(agents)}\n${errors.join('\n---\n')}`);
    }
    const ts = await tasks(url);
    for (const t of ts) {
      expect(t.status, t.id).toBe('done');
      expect(t.dispatch_count, JSON.stringify(t)).toBe(1);
      expect(t.retry_count ?? 0, t.id).toBe(0);
    }
    const agents = await sql<{ task_id: string }>(url, `SELECT task_id FROM wg_agents`);
    expect(agents).toHaveLength(16);
    // Both services are alive and reconnected: they answer, and each logged the lost connection.
    for (const h of [a, b]) {
      expect(h.run(['service', 'status', '--json']).code).toBe(0);
      const log = readFileSync(join(h.dir, '.wg', 'service', 'daemon.log'), 'utf8');
      expect(log).toContain('"event":"store:lost"');
    }
  }, 120_000);
});
