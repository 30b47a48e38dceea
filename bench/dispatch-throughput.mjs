// Dispatch throughput: how many short tasks a real service runs per second. N independent
// tasks whose agent is `true` (the shell executor; exit 0 → the service marks the task done),
// max_agents 4 (the default), settling 0. The service starts paused; the clock starts at
// `wg service resume` and stops when every task is done (graph.jsonl polled every 5 ms).
//   node bench/dispatch-throughput.mjs [--runs N] [--tasks N]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stats } from './lib.mjs';
import { runsArg, sleep, withProject } from './recovery-lib.mjs';

export const SCENARIO = 'dispatch-throughput';

async function once(n) {
  return withProject({ max_agents: 4, paused: true }, async (p) => {
    const created = '2026-01-01T00:00:00.000Z';
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(JSON.stringify({ kind: 'task', id: `t-${i}`, title: `Task ${i}`, status: 'open', priority: 10, exec: 'true', created_at: created, log: [{ timestamp: created, actor: 'bench', message: 'Task added' }] }));
    writeFileSync(join(p.dir, '.wg', 'graph.jsonl'), lines.join('\n') + '\n');
    p.start();
    const graph = join(p.dir, '.wg', 'graph.jsonl');
    const t0 = performance.now();
    const r = await p.runAsync(['service', 'resume']);
    if (r.code !== 0) throw new Error(`wg service resume exited ${r.code}: ${r.stderr}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const done = readFileSync(graph, 'utf8').split('"status":"done"').length - 1;
      if (done >= n) break;
      if (Date.now() > deadline) throw new Error(`only ${done}/${n} tasks done after 120 s`);
      await sleep(5);
    }
    return n / ((performance.now() - t0) / 1000);
  });
}

export async function measure({ runs = 3, tasks = 60 } = {}) {
  const rates = [];
  for (let i = 0; i < runs; i++) rates.push(await once(tasks));
  return { scenario: SCENARIO, tasks, runs, ...stats(rates), rates };
}

export async function run(opts = {}) {
  const m = await measure(opts);
  return [{ scenario: SCENARIO, name: `dispatch throughput: ${m.tasks} tasks (agent \`true\`), max_agents 4`, size: '-', n: m.n, tasksPerSec: m.median, minPerSec: m.min, maxPerSec: m.max }];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--tasks');
  const { rates: _r, ...row } = await measure({ runs: runsArg(3), ...(i >= 0 ? { tasks: Number(process.argv[i + 1]) } : {}) });
  console.log(JSON.stringify(row));
}
