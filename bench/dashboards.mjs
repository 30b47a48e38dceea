// The dashboards at 10k tasks (issue 12: under 100 MiB, an update within 200 ms).
// `wg serve`: a change by another process (`wg add`) → the server-sent `update` event, and →
// the refreshed live part of the page fetched (what the browser does on the event); the full
// page. `wg tui` (in a pseudo-terminal through script(1)): a change → the frame that shows it; a
// key → the frame that shows the move. For both: RSS after the load, RSS after the live updates,
// and the peak (VmHWM). Times are measured from the graph file's mtime after the write (the
// moment the change exists), like bench/watch-latency.mjs. `wg` runs with its shebang's Node
// flags, as it does when a user types `wg`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { WG, env, project, sleep, standalone, stats, timedChange, until } from './lib.mjs';

/** The Node flags of wg's shebang (`#!/usr/bin/env -S node --max-semi-space-size=4`). */
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(WG, 'utf8').split('\n', 1)[0])?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

/** RSS now and the peak so far (MiB), from /proc. */
function rssMiB(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN) / 1024;
    return { now: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { now: NaN, peak: NaN };
  }
}
const mib = (name, v) => ({ scenario: 'dashboards', name, median: v, p95: v, min: v, max: v });

function get(url, token) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    request(url, { headers: { 'X-WG-Token': token } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ms: performance.now() - t0, body, status: res.statusCode }));
    })
      .on('error', reject)
      .end();
  });
}

async function benchServe(n, samples) {
  const p = project(n);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, WG, 'serve', '--port', '0', '--json'], { cwd: p.dir, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const rows = [];
  let sse;
  try {
    const url = await until('the URL', () => /"url": "([^"]+)"/.exec(out)?.[1]);
    const startMs = performance.now() - t0;
    const u = new URL(url);
    const token = u.searchParams.get('token');
    const base = `${u.protocol}//${u.host}`;
    await sleep(500);
    const afterLoad = rssMiB(child.pid).now;
    const page = [];
    for (let k = 0; k < 5; k++) page.push((await get(base + '/', token)).ms);
    const updates = [];
    sse = request(base + '/events', { headers: { 'X-WG-Token': token } }, (res) => res.on('data', (d) => String(d).includes('event: update') && updates.push(Date.now())));
    sse.end();
    await sleep(500);
    const toEvent = [];
    const toPage = [];
    for (let k = 0; k < samples; k++) {
      const before = updates.length;
      const { mtime, ms } = await timedChange(['add', `Bench change ${k}`, '--id', `bench-change-${k}`], p.dir, p.graph, 'the SSE update', () => updates[before]);
      toEvent.push(ms);
      const partial = await get(base + '/?partial=1', token);
      if (!partial.body.includes(`${n + k + 1} tasks`)) throw new Error('the refreshed page does not show the change');
      toPage.push(Date.now() - mtime);
      await sleep(50);
    }
    const rss = rssMiB(child.pid);
    rows.push({ scenario: 'dashboards', name: `\`wg serve\` ${n} tasks: start → URL printed`, ...stats([startMs]) });
    rows.push({ scenario: 'dashboards', name: `\`wg serve\` ${n} tasks: GET / (the whole dashboard)`, ...stats(page) });
    rows.push({ scenario: 'dashboards', name: `\`wg serve\` ${n} tasks: \`wg add\` by another process → SSE update`, ...stats(toEvent) });
    rows.push({ scenario: 'dashboards', name: `\`wg serve\` ${n} tasks: \`wg add\` → refreshed live part fetched`, ...stats(toPage) });
    rows.push(mib(`\`wg serve\` ${n} tasks: RSS after the load (MiB)`, afterLoad));
    rows.push(mib(`\`wg serve\` ${n} tasks: RSS after ${samples} live updates (and ${5 + samples} page fetches) (MiB)`, rss.now));
    rows.push(mib(`\`wg serve\` ${n} tasks: peak RSS (MiB)`, rss.peak));
  } finally {
    sse?.destroy();
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    p.cleanup();
  }
  return rows;
}

async function benchTui(n, samples) {
  const p = project(n);
  const child = spawn('script', ['-qfec', `stty rows 40 cols 150; exec ${process.execPath} ${NODE_FLAGS.join(' ')} ${WG} tui`, '/dev/null'], { cwd: p.dir, env: env({ TERM: 'xterm-256color' }), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks = [];
  child.stdout.on('data', (d) => chunks.push({ at: Date.now(), text: String(d) }));
  const rows = [];
  try {
    const t0 = Date.now();
    const seen = (s, from = 0) => chunks.slice(from).find((c) => c.text.includes(s));
    await until('the first frame', () => seen(`${n} tasks`));
    const startMs = seen(`${n} tasks`).at - t0;
    await sleep(500);
    const node = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    const afterLoad = rssMiB(node).now;
    const toFrame = [];
    for (let k = 0; k < samples; k++) {
      const from = chunks.length;
      const { ms } = await timedChange(['add', `Bench change ${k}`, '--id', `bench-change-${k}`], p.dir, p.graph, 'the frame', () => seen(`${n + k + 1} tasks`, from)?.at);
      toFrame.push(ms);
      await sleep(50);
    }
    // Keys: j moves the selection down; each press → the frame that shows the new position.
    const keyMs = [];
    for (let i = 0; i < 20; i++) {
      const from = chunks.length;
      const k0 = Date.now();
      child.stdin.write('j');
      const c = await until('the key drawn', () => seen(`${i + 2}/${n + samples}`, from));
      keyMs.push(c.at - k0);
    }
    const rss = rssMiB(node);
    rows.push({ scenario: 'dashboards', name: `\`wg tui\` ${n} tasks: start → first frame`, ...stats([startMs]) });
    rows.push({ scenario: 'dashboards', name: `\`wg tui\` ${n} tasks: \`wg add\` by another process → the frame showing it`, ...stats(toFrame) });
    rows.push({ scenario: 'dashboards', name: `\`wg tui\` ${n} tasks: a key (j) → the frame showing the move`, ...stats(keyMs) });
    rows.push(mib(`\`wg tui\` ${n} tasks: RSS after the load (MiB)`, afterLoad));
    rows.push(mib(`\`wg tui\` ${n} tasks: RSS after ${samples} live updates and 20 keys (MiB)`, rss.now));
    rows.push(mib(`\`wg tui\` ${n} tasks: peak RSS (MiB)`, rss.peak));
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    p.cleanup();
  }
  return rows;
}

export async function run({ samples = 20, n = 10_000 } = {}) {
  return [...(await benchServe(n, samples)), ...(await benchTui(n, samples))];
}

await standalone(import.meta, run);
