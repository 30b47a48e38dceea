// Shared by the recovery-latency benchmarks (retry-latency.mjs, kill-redispatch.mjs): a temp
// project with a REAL service (shell executor, short timings), registry polling, percentiles,
// and a cleanup that stops the service and kills every agent process group it started (by
// PID/PGID, never by name).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, wg, WG } from './lib.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of ms samples. */
export function percentiles(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x) => Math.round(x * 10) / 10;
  return { runs: s.length, p50_ms: r(q(0.5)), p95_ms: r(q(0.95)), max_ms: r(s[s.length - 1]) };
}

export function runsArg(def) {
  const i = process.argv.indexOf('--runs');
  const n = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(n) || n < 1) throw new Error('--runs needs a positive integer');
  return n;
}

function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}
export const running = (pid) => {
  const st = procStat(pid);
  return !!st && st.state !== 'Z' && st.state !== 'X';
};
function groupMembers(pgid) {
  const out = [];
  for (const n of readdirSync('/proc')) if (/^\d+$/.test(n) && procStat(Number(n))?.pgrp === pgid && running(Number(n))) out.push(Number(n));
  return out;
}

/** Runs `wg args` without blocking the event loop (so the registry can be polled meanwhile). */
export function wgAsync(cwd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WG, ...args], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

/** A temp project with `[dispatcher]` settings and a running service. */
export function serviceProject(dispatcher) {
  const dir = mkdtempSync(join(tmpdir(), 'wg-bench-recovery-'));
  wg(['init'], { cwd: dir });
  const conf = { executor: 'shell', max_agents: 4, poll_interval: '1s', settling_delay: '0ms', kill_grace: '1s', ...dispatcher };
  writeFileSync(join(dir, '.wg', 'config.toml'), ['[dispatcher]', ...Object.entries(conf).map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : v}`)].join('\n') + '\n');
  const registryPath = join(dir, '.wg', 'service', 'registry.json');
  const daemonPids = new Set();
  const groups = new Set();
  const agents = () => {
    try {
      return Object.values(JSON.parse(readFileSync(registryPath, 'utf8')).agents);
    } catch {
      return []; // not written yet (or mid-rename on an odd filesystem): poll again
    }
  };
  const self = {
    dir,
    run: (args) => wg(args, { cwd: dir }),
    runAsync: (args) => wgAsync(dir, args),
    start() {
      const r = wg(['service', 'start', '--json'], { cwd: dir });
      daemonPids.add(JSON.parse(r.stdout).pid);
    },
    agents,
    /** A working agent of `taskId` with a live PID, other than those in `not` (or undefined). */
    runningAgent(taskId, not = new Set()) {
      const a = agents().find((x) => x.task_id === taskId && x.status === 'working' && x.pid && !not.has(x.id) && running(x.pid));
      if (a) groups.add(a.pgid ?? a.pid);
      return a;
    },
    /** Polls (every 2 ms) until `runningAgent` finds one; throws after `timeoutMs`. */
    async waitAgent(taskId, not = new Set(), timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const a = self.runningAgent(taskId, not);
        if (a) return a;
        if (Date.now() > deadline) throw new Error(`no new running agent for ${taskId} after ${timeoutMs} ms`);
        await sleep(2);
      }
    },
    cleanup() {
      try {
        const st = JSON.parse(readFileSync(join(dir, '.wg', 'service', 'state.json'), 'utf8'));
        if (st.pid) daemonPids.add(st.pid);
      } catch {
        // not running
      }
      try {
        wg(['service', 'stop', '--kill-agents'], { cwd: dir, check: false });
      } catch {
        // hard kills below
      }
      for (const pid of daemonPids) if (running(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (const a of agents()) if (a.pgid ?? a.pid) groups.add(a.pgid ?? a.pid);
      for (const g of groups) if (groupMembers(g).length) try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Runs `fn(project)` with cleanup on success, failure and Ctrl-C. */
export async function withProject(dispatcher, fn) {
  const p = serviceProject(dispatcher);
  const onSignal = () => {
    p.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(p);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    p.cleanup();
  }
}
