// Hung agents (issue 9 point 7): how long after an agent's last sign of life the service kills
// it, with a small idle_timeout, through a real `wg service start`; and what the sampling costs
// (one /proc scan for all agents: bench/hang-probe.ts, bundled with esbuild).
//   node bench/hang-detection.mjs [--runs 6]
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, env, standalone } from './lib.mjs';
import { percentiles, runsArg, sleep, withProject } from './recovery-lib.mjs';

const IDLE_MS = 2000;

async function latency(runs) {
  // Each agent prints, keeps printing for a moment, then goes silent (sleep 600): the last
  // sign of life is output.log's mtime; the kill is when the registry declared it dead.
  return withProject({ idle_timeout: '2s', poll_interval: '5s', max_agents: runs, max_retries: 0, kill_grace: '500ms' }, async (p) => {
    for (let i = 0; i < runs; i++) p.run(['add', `Hang ${i}`, '--id', `hang-${i}`, '--exec', `echo start; sleep 0.${3 + i}; echo last; exec sleep 600`]);
    p.start();
    const deadline = Date.now() + 60_000;
    let dead = [];
    while (Date.now() < deadline) {
      dead = p.agents().filter((a) => a.status === 'dead' && /hung/.test(a.exit_reason ?? ''));
      if (dead.length >= runs) break;
      await sleep(50);
    }
    if (dead.length < runs) throw new Error(`only ${dead.length}/${runs} hung agents caught`);
    return dead.map((a) => Date.parse(a.completed_at) - statSync(a.output_file).mtimeMs - IDLE_MS);
  });
}

async function sampling(counts) {
  const outfile = join(ROOT, 'node_modules', '.cache', 'wg-bench', 'hang-probe.mjs');
  mkdirSync(join(ROOT, 'node_modules', '.cache', 'wg-bench'), { recursive: true });
  await build({ entryPoints: [join(ROOT, 'bench', 'hang-probe.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  const rows = [];
  for (const n of counts) {
    const r = spawnSync(process.execPath, [outfile, String(n), '50'], { env: env(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`hang probe failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
  return rows;
}

export async function run({ runs = runsArg(6), counts = [1, 10, 50] } = {}) {
  const lat = await latency(runs);
  const p = percentiles(lat);
  const rows = [{ scenario: 'hang-latency', name: `kill after last activity, beyond idle_timeout (${IDLE_MS / 1000}s, poll 5s)`, runs, samples: lat.map((x) => Math.round(x)), load: Number(loadavg()[0].toFixed(1)), ...p }];
  for (const s of await sampling(counts)) rows.push({ scenario: 'hang-sampling', name: `one sample of ${s.agents} agent(s)`, ...s });
  return rows;
}

/** The docs/benchmarks.md section for these rows (bench/run.mjs; `--md` prints it standalone). */
export function hangSection(rows) {
  const lat = rows.find((r) => r.scenario === 'hang-latency');
  const samp = rows.filter((r) => r.scenario === 'hang-sampling');
  if (!lat && !samp.length) return [];
  const L = ['## Hung agents', ''];
  L.push('bench/hang-detection.mjs. A real `wg service start` with `idle_timeout = "2s"` (poll_interval 5s);');
  L.push('each shell agent prints, goes on printing for 0.3–0.8 s, then `sleep 600` (no output, no `wg`');
  L.push('call, no CPU). Latency = when the registry declared it dead − output.log\'s last mtime −');
  L.push('idle_timeout: how late after the ideal moment the service acts.', '');
  if (lat) L.push(`- Kill after idle_timeout, ${lat.runs} agents: p50 **${lat.p50_ms} ms**, p95 ${lat.p95_ms} ms, max ${lat.max_ms} ms (samples ${lat.samples.join(', ')} ms). The service wakes at each agent's idle deadline; activity is credited to the sample that sees it (samples at most every 1/20 of idle_timeout, ≥ 1 s, ≤ a quarter: here 500 ms), so a kill can come up to one sampling gap (plus a tick) late. It is never early beyond the length of a tick: activity is stamped with the \`now\` of the tick that saw it, taken when the tick starts, so output written during a slow tick can count a few tens of ms early. Load average during the run: ${lat.load}.`);
  for (const r of samp) L.push(`- One sample of ${r.agents} agent(s) (${r.processes} processes on the machine, one /proc scan): median ${r.median.toFixed(1)} ms wall, ${r.cpuMsPerScan.toFixed(1)} ms CPU.`);
  if (samp.length) L.push('', 'The scan reads /proc/<pid>/stat of every process on the machine, so its cost follows the process', 'count, not the number of agents. At the default idle_timeout (10m) the service scans at most every', '30 s: the CPU one scan costs, every 30 s, while agents run; nothing when none do.');
  L.push('');
  return L;
}

if (process.argv.includes('--md')) {
  const rows = await run();
  console.log(hangSection(rows).join('\n'));
} else await standalone(import.meta, run);
