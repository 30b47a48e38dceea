// Recovery latency after an agent crash: from `kill -9` of a running agent's process to the
// registry showing a NEW alive agent working on the same task (the service sees the exit,
// re-queues the task as a death and respawns it). A real service (shell executor, settling 0).
// Each run uses a fresh task, so the crash-loop backoff (2nd+ death of one task) never applies:
// this measures a first death, the case the backoff deliberately leaves fast.
//   node bench/kill-redispatch.mjs [--runs N]  → one JSON line {scenario, runs, p50_ms, p95_ms, max_ms}
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentiles, runsArg, withProject } from './recovery-lib.mjs';

export const SCENARIO = 'kill-redispatch';

export async function measure({ runs = 20 } = {}) {
  return withProject({ kill_grace: '1s', max_agents: 8 }, async (p) => {
    p.start();
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const id = `crash-${i}`;
      p.run(['add', `Crash ${i}`, '--id', id, '--exec', 'sleep 300']);
      const first = await p.waitAgent(id);
      const t0 = performance.now();
      process.kill(first.pid, 'SIGKILL');
      await p.waitAgent(id, new Set([first.id]));
      samples.push(performance.now() - t0);
      // Done with this task: abandoning it makes the service stop its agent.
      const r = await p.runAsync(['abandon', id, '--reason', 'bench run over']);
      if (r.code !== 0) throw new Error(`wg abandon exited ${r.code}: ${r.stderr}`);
    }
    return { scenario: SCENARIO, ...percentiles(samples), samples };
  });
}

export async function run(opts = {}) {
  const m = await measure(opts);
  const s = [...m.samples].sort((a, b) => a - b);
  return [{ scenario: SCENARIO, name: '`kill -9` of an agent → new agent running', size: '-', n: m.runs, median: m.p50_ms, p95: m.p95_ms, min: s[0], max: m.max_ms }];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { samples: _samples, ...row } = await measure({ runs: runsArg(20) });
  console.log(JSON.stringify(row));
}
