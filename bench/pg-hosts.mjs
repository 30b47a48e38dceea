// Two hosts on one local PostgreSQL, real services and real agents (the built wg):
//  - latency from a task becoming ready (its `wg add` committed on host A) to an agent spawned
//    for it on host B (the spawn's claim committed), both in database time (wg_operations.at);
//    host A's service runs nothing (max_agents = 0), so every spawn crosses hosts. B wakes by
//    LISTEN/NOTIFY; its poll interval is the default 5 s, so the numbers show the wake-up path.
//  - reclaim time after a host dies: host B runs 3 long agents, then B's service and agents are
//    SIGKILLed; measured from the kill to each task's reclaim by host A, and to its re-spawn.
//
//   node bench/pg-hosts.mjs [--samples 30] [--heartbeat 10s]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const SAMPLES = Number(opt('--samples', '30'));
const HEARTBEAT = opt('--heartbeat', '10s');
const WG = join(ROOT, 'dist', 'wg.mjs');
const script = join(ROOT, 'scripts', 'pg-cluster.sh');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const clusterDir = mkdtempSync(join(tmpdir(), 'wg-bench-hosts-'));
const base = execFileSync('bash', [script, 'start', clusterDir], { encoding: 'utf8' }).trim();
const url = (() => {
  const u = new URL(base);
  u.pathname = '/bench_hosts';
  return u.toString();
})();
const dirs = [];
const pids = [];

function wg(dir, host, argv) {
  const r = spawnSync(process.execPath, [WG, ...argv], { cwd: dir, encoding: 'utf8', env: { ...process.env, WG_HOST_ID: host, WG_STORE_URL: '' } });
  if (r.status !== 0) throw new Error(`wg ${argv.join(' ')} on ${host}: ${r.stderr}`);
  return r.stdout;
}

function host(id, maxAgents) {
  const dir = mkdtempSync(join(tmpdir(), `wg-bench-${id}-`));
  dirs.push(dir);
  wg(dir, id, ['init']);
  writeFileSync(join(dir, '.wg', 'config.toml'), `[dispatcher]\nexecutor = "shell"\nmax_agents = ${maxAgents}\nsettling_delay = "0s"\nheartbeat_timeout = "${HEARTBEAT}"\n\n[store]\nurl = "${url}"\n`);
  return { id, dir, run: (argv) => wg(dir, id, argv) };
}

const q = async (text, values = []) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, values)).rows;
  } finally {
    await c.end();
  }
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

try {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_hosts');
  await admin.end();
  const a = host('host-a', 0);
  const b = host('host-b', 4);
  a.run(['store', 'migrate']);
  pids.push(JSON.parse(a.run(['service', 'start', '--json'])).pid);
  pids.push(JSON.parse(b.run(['service', 'start', '--json'])).pid);
  await sleep(1000);

  // 1. ready on A → spawned on B
  const lat = [];
  for (let i = 0; i < SAMPLES; i++) {
    const id = `lat-${i}`;
    a.run(['add', `Latency ${i}`, '--id', id, '--exec', 'true']);
    for (let k = 0; k < 200; k++) {
      const r = await q(`SELECT max(at) FILTER (WHERE record LIKE '%"op":"add_task"%') AS ready, max(at) FILTER (WHERE record LIKE '%"op":"spawn"%') AS spawned
                           FROM wg_operations WHERE record LIKE $1`, [`%"task_id":"${id}"%`]);
      if (r[0].spawned) {
        lat.push(r[0].spawned.getTime() - r[0].ready.getTime());
        break;
      }
      await sleep(10);
    }
  }
  const hosts = await q(`SELECT host, count(*)::int AS n FROM wg_agents GROUP BY host`);

  // 2. a host dies: B runs 3 long tasks, then kill -9 of its service and agents
  a.run(['service', 'stop']);
  writeFileSync(join(a.dir, '.wg', 'config.toml'), `[dispatcher]\nexecutor = "shell"\nmax_agents = 4\nsettling_delay = "0s"\nheartbeat_timeout = "${HEARTBEAT}"\n\n[store]\nurl = "${url}"\n`);
  for (let i = 0; i < 3; i++) a.run(['add', `Long ${i}`, '--id', `long-${i}`, '--exec', 'if [ "$WG_HOST_ID" = host-b ]; then sleep 600; fi']);
  for (let k = 0; k < 300 && (await q(`SELECT 1 FROM wg_agents WHERE host = 'host-b' AND status = 'working' AND task_id LIKE 'long-%'`)).length < 3; k++) await sleep(50);
  pids.push(JSON.parse(a.run(['service', 'start', '--json'])).pid);
  await sleep(1500);
  const killedAt = (await q('SELECT now() AS now'))[0].now.getTime();
  for (const r of await q(`SELECT record FROM wg_agents WHERE host = 'host-b'`)) {
    const rec = JSON.parse(r.record);
    try {
      process.kill(-(rec.pgid ?? rec.pid), 'SIGKILL');
    } catch {}
  }
  process.kill(pids[1], 'SIGKILL');
  let reclaim = [];
  let respawn = [];
  for (let k = 0; k < 1200; k++) {
    const r = await q(`SELECT record, at FROM wg_operations WHERE record LIKE '%"task_id":"long-%' AND (record LIKE '%"op":"reclaim"%' OR record LIKE '%"op":"spawn"%') AND at > to_timestamp($1 / 1000.0)`, [killedAt]);
    reclaim = r.filter((x) => x.record.includes('"op":"reclaim"')).map((x) => x.at.getTime() - killedAt);
    respawn = r.filter((x) => x.record.includes('"op":"spawn"')).map((x) => x.at.getTime() - killedAt);
    if (reclaim.length >= 3 && respawn.length >= 3) break;
    await sleep(50);
  }
  const retry = await q(`SELECT (line::json->>'retry_count')::int AS r FROM wg_nodes WHERE id LIKE 'long-%'`);
  const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`| measure | value |`);
  console.log(`|---|---|`);
  console.log(`| ready on host A → agent spawned on host B, p50 | ${Math.round(pct(lat, 50))} ms |`);
  console.log(`| ready on host A → agent spawned on host B, p95 | ${Math.round(pct(lat, 95))} ms |`);
  console.log(`| samples (agents per host) | ${lat.length} (${hosts.map((h) => `${h.host}: ${h.n}`).join(', ')}) |`);
  console.log(`| host B killed → its 3 tasks reclaimed by host A (heartbeat_timeout ${HEARTBEAT}) | ${reclaim.sort((x, y) => x - y).map(f).join(', ')} |`);
  console.log(`| host B killed → re-spawned on host A | ${respawn.sort((x, y) => x - y).map(f).join(', ')} |`);
  console.log(`| retry_count of the reclaimed tasks | ${retry.map((r) => r.r).join(', ')} (each reclaimed once) |`);
} finally {
  for (const d of dirs) spawnSync(process.execPath, [WG, 'service', 'stop', '--json'], { cwd: d, env: { ...process.env, WG_STORE_URL: '' } });
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  execFileSync('bash', [script, 'stop', clusterDir]);
}
