// Recovery latency of `wg retry` on a hung agent: from invoking `wg retry X` (X in progress,
// its agent `sleep 300`) to the registry showing a NEW alive agent working on X. A real service
// (shell executor, kill_grace 1s, settling_delay 0). Target: p95 ≤ 1.5 s on 2 cores.
//   node bench/retry-latency.mjs [--runs N]   → one JSON line {scenario, runs, p50_ms, p95_ms, max_ms}
// `run()` returns the same numbers as a row for bench/run.mjs (name, size, n, median, p95, min, max).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentiles, runsArg, withProject } from './recovery-lib.mjs';

export const SCENARIO = 'retry-latency';
export const TARGET_P95_MS = 1500;

export async function measure({ runs = 25 } = {}) {
  // retry_debounce 0 and a high max_retries: every run's retry must act (the debounce and the
  // limit are tested elsewhere; here they would turn runs 2…N into no-ops).
  return withProject({ kill_grace: '1s', retry_debounce: '0ms', max_retries: 100_000 }, async (p) => {
    p.run(['add', 'Hung task', '--id', 'hung', '--exec', 'sleep 300']);
    p.start();
    const seen = new Set();
    let agent = await p.waitAgent('hung');
    const samples = [];
    for (let i = 0; i < runs; i++) {
      seen.add(agent.id);
      const t0 = performance.now();
      const retry = p.runAsync(['retry', 'hung']);
      agent = await p.waitAgent('hung', seen);
      samples.push(performance.now() - t0);
      const r = await retry;
      if (r.code !== 0) throw new Error(`wg retry exited ${r.code}: ${r.stderr}`);
    }
    return { scenario: SCENARIO, ...percentiles(samples), samples };
  });
}

export async function run(opts = {}) {
  const m = await measure(opts);
  const s = [...m.samples].sort((a, b) => a - b);
  return [{ scenario: SCENARIO, name: '`wg retry` of a hung agent → new agent running (kill_grace 1s)', size: '-', n: m.runs, median: m.p50_ms, p95: m.p95_ms, min: s[0], max: m.max_ms }];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { samples: _samples, ...row } = await measure({ runs: runsArg(25) });
  console.log(JSON.stringify(row));
}
