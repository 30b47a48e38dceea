// `wg watch` latency: from a change to its line on the watcher's stdout (issue 12: ≤ 100 ms).
// (a) a line appended to log/operations.jsonl by this process: t0 just before the write;
// (b) a real `wg log` by another process: t0 = the operations log's mtime after the write.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WG, env, project, sleep, standalone, stats, timedChange, until, wg } from './lib.mjs';

export async function run({ samples = 30 } = {}) {
  const p = project(1_000);
  const ops = join(p.wgDir, 'log', 'operations.jsonl');
  mkdirSync(join(p.wgDir, 'log'), { recursive: true });
  const child = spawn(process.execPath, [WG, 'watch', '--json'], { cwd: p.dir, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const arrivals = [];
  let buf = '';
  let started = false;
  child.stdout.on('data', (d) => {
    const now = performance.now();
    const wall = Date.now();
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      arrivals.push({ line: buf.slice(0, i), now, wall });
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d) => (started ||= d.toString().includes('watching')));
  const rows = [];
  try {
    await until('the watch to start', () => started);
    await sleep(200);
    const direct = [];
    for (let k = 0; k < samples; k++) {
      const before = arrivals.length;
      const t0 = performance.now();
      appendFileSync(ops, JSON.stringify({ timestamp: new Date().toISOString(), op: 'log', task_id: `bench-${k}`, detail: { message: 'x' } }) + '\n');
      await until('the line', () => arrivals[before]);
      direct.push(arrivals[before].now - t0);
      await sleep(30);
    }
    rows.push({ scenario: 'watch-latency', name: '`wg watch`: append → line (same machine, fs.watch)', ...stats(direct) });
    const viaWg = [];
    const tasks = JSON.parse(wg(['list', '--json'], { cwd: p.dir }).stdout);
    for (let k = 0; k < Math.min(10, samples); k++) {
      const before = arrivals.length;
      viaWg.push((await timedChange(['log', tasks[k].id, `bench ${k}`], p.dir, ops, 'the line', () => arrivals[before]?.wall)).ms);
    }
    rows.push({ scenario: 'watch-latency', name: '`wg watch`: `wg log` by another process → line (from the log’s mtime)', ...stats(viaWg) });
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    p.cleanup();
  }
  return rows;
}

await standalone(import.meta, run);
