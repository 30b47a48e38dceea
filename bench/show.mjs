// `wg show ID` on 1k / 10k / 100k-task graphs, next to `node -e 0` run alternately in the same
// loop (so the ratio holds even when other work shares the machine). The task is one with both
// dependencies and dependents; its page is served from the graph index (src/store/index-view.ts).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { SIZES, project, runStats, runsFor, standalone, stats, wg } from './lib.mjs';

/** A task from the middle of the graph that has dependencies and dependents. */
function pickTask(graphPath) {
  const lines = readFileSync(graphPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const dependents = new Map();
  for (const t of lines) for (const d of t.after ?? []) dependents.set(d, (dependents.get(d) ?? 0) + 1);
  for (let i = Math.floor(lines.length / 2); i < lines.length; i++) if (lines[i].after?.length && dependents.get(lines[i].id)) return lines[i].id;
  return lines[Math.floor(lines.length / 2)].id;
}

export async function run({ sizes = SIZES } = {}) {
  const rows = [];
  for (const n of sizes) {
    const p = project(n);
    try {
      const id = pickTask(p.graph);
      wg(['ready'], { cwd: p.dir }); // the first command after a copy builds the index
      const page = JSON.parse(wg(['show', id, '--json'], { cwd: p.dir }).stdout);
      const samples = [];
      const node = [];
      for (let i = 0; i < runsFor(n); i++) {
        const t0 = process.hrtime.bigint();
        spawnSync(process.execPath, ['-e', '0']);
        node.push(Number(process.hrtime.bigint() - t0) / 1e6);
        samples.push(wg(['show', id], { cwd: p.dir }));
      }
      const s = runStats(samples);
      const nodeMedian = stats(node).median;
      rows.push({ scenario: 'show', name: '`wg show ID`', size: n, note: `${page.after.length} deps, ${page.before.length} dependents; ${(s.median / nodeMedian).toFixed(1)}× \`node -e 0\` (${nodeMedian.toFixed(0)} ms, same loop)`, nodeMedian, ...s });
    } finally {
      p.cleanup();
    }
  }
  return rows;
}

await standalone(import.meta, run);
