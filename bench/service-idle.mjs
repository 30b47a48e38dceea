// What a running service costs when nothing happens, and after one small change, at 1k, 10k
// and 100k tasks (the generated graph of lib.mjs; dispatcher paused, so nothing is spawned and
// every tick is maintenance + a dispatch decision that ends "paused"). A real daemon
// (`wg service start`); each kick over its socket causes one tick, whose own measure (`ms` of
// its `tick:done` line in daemon.log) is read back. Also, from /proc/<daemon>/: CPU time and
// bytes read (`rchar`: every read(2), sockets and /proc included) per idle tick, and the
// daemon's peak RSS (VmHWM) over the whole run, which includes its start and its first tick
// (the project has its graph index, as after any first command). Then `changes` times: one
// `wg log` by another process and the tick it causes (the first is the service's first change
// since it started: its code is not compiled yet; the median is the steady state).
//   node bench/service-idle.mjs [--sizes 1000,10000] [--changes 5]
import { connect } from 'node:net';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SIZES, project, standalone, stats, wg } from './lib.mjs';
import { running, sleep } from './recovery-lib.mjs';

const CLK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function kick(socket) {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.on('error', () => resolve());
    s.on('data', () => (s.end(), resolve()));
    s.on('connect', () => s.write('{"cmd":"kick"}\n'));
  });
}

const ticks = (log) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"tick:done"')).map((l) => JSON.parse(l)) : []);

async function nextTick(log, after, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = ticks(log);
    if (t.length > after) return t;
    if (Date.now() > deadline) throw new Error(`no tick:done in ${log} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

function proc(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK,
    rchar: Number(/rchar:\s*(\d+)/.exec(io)[1]),
    hwmMb: Number(/VmHWM:\s*(\d+)/.exec(status)[1]) / 1024,
  };
}

async function measure(size, kicks, changes) {
  const p = project(size);
  let pid;
  try {
    // The generated graph's in-progress tasks are claimed by agent ids this project's registry
    // never knew: the first tick would re-queue thousands of them. Give those claims to humans.
    writeFileSync(p.graph, readFileSync(p.graph, 'utf8').replaceAll('"assigned":"agent-', '"assigned":"bot-'));
    wg(['ready'], { cwd: p.dir }); // builds the graph index, as any first command does
    writeFileSync(join(p.wgDir, 'config.toml'), '[dispatcher]\nexecutor = "shell"\npaused = true\nsettling_delay = "0ms"\npoll_interval = "60s"\n');
    const log = join(p.wgDir, 'service', 'daemon.log');
    const socket = join(p.wgDir, 'service', 'daemon.sock');
    const started = wg(['service', 'start', '--json'], { cwd: p.dir, check: false });
    if (started.code !== 0) throw new Error(`wg service start failed: ${started.stdout}${started.stderr}${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
    pid = JSON.parse(started.stdout).pid;
    // The first tick loads the graph and decides: not idle.
    let seen = (await nextTick(log, 0)).length;
    await sleep(300);
    seen = ticks(log).length;
    const ms = [];
    const before = proc(pid);
    for (let i = 0; i < kicks; i++) {
      await kick(socket);
      const t = await nextTick(log, seen);
      seen = t.length;
      ms.push(t[t.length - 1].ms);
      await sleep(20);
    }
    const after = proc(pid);
    // A change by another process: a `wg log` (it kicks the service) on a ready task — one the
    // dispatcher looked at — then the first tick that saw it (the one whose refresh replayed it).
    const lines = readFileSync(p.graph, 'utf8').split('\n').filter((l) => l.includes('"status":"open"') && !l.includes('"after"') && !l.includes('"paused"'));
    const changed = [];
    let firstSteps;
    for (let i = 0; i < changes; i++) {
      const id = /"id":"([^"]+)"/.exec(lines[Math.floor(((i + 0.5) * lines.length) / changes)])[1];
      wg(['log', id, `bench: change ${i}`], { cwd: p.dir });
      // The kick reached the service before `wg log` exited: the change is in a tick from here on
      // (a tick from a timer may come first: the one that replayed the change has the longest refresh).
      await nextTick(log, seen);
      await sleep(100);
      const t = ticks(log);
      const tick = t.slice(seen).reduce((a, b) => ((b.steps?.refresh ?? 0) > (a.steps?.refresh ?? 0) ? b : a));
      changed.push(tick.ms);
      firstSteps ??= tick.steps;
      seen = t.length;
    }
    const end = proc(pid);
    const s = stats(ms);
    const c = stats(changed);
    return [
      { scenario: 'service-idle', name: 'service: idle tick (paused, nothing changed)', size, n: s.n, median: s.median, p95: s.p95, min: s.min, max: s.max, cpuPerTickMs: (after.cpuMs - before.cpuMs) / kicks, bytesReadPerTick: (after.rchar - before.rchar) / kicks },
      { scenario: 'service-change', name: 'service: tick after one `wg log` by another process', size, n: c.n, median: c.median, p95: c.p95, min: c.min, max: c.max, first: changed[0], ...(firstSteps ? { firstSteps } : {}) },
      { scenario: 'service-rss', name: 'service: peak RSS (start, first tick, idle ticks, one change)', size, mb: end.hwmMb },
    ];
  } finally {
    try {
      wg(['service', 'stop'], { cwd: p.dir, check: false });
    } catch {
      // killed below
    }
    if (pid && running(pid)) process.kill(pid, 'SIGKILL');
    p.cleanup();
  }
}

export async function run({ sizes = SIZES, kicks = 20, changes = 5 } = {}) {
  const rows = [];
  for (const size of sizes) rows.push(...(await measure(size, size >= 100_000 ? Math.min(kicks, 10) : kicks, changes)));
  return rows;
}

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
await standalone(import.meta, () => run({ ...(arg('--sizes') ? { sizes: arg('--sizes').split(',').map(Number) } : {}), ...(arg('--changes') ? { changes: Number(arg('--changes')) } : {}) }));
