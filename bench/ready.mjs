// (b) `wg ready --json` on 1k / 10k / 100k-task graphs (read path: parse + validate + readiness).
import { SIZES, project, runStats, runsFor, standalone, wg } from './lib.mjs';

export async function run({ sizes = SIZES } = {}) {
  const rows = [];
  for (const n of sizes) {
    const p = project(n);
    try {
      const first = wg(['ready', '--json'], { cwd: p.dir }); // warm-up; also a sanity check
      const count = JSON.parse(first.stdout).length;
      const samples = [];
      for (let i = 0; i < runsFor(n); i++) samples.push(wg(['ready', '--json'], { cwd: p.dir }));
      rows.push({ scenario: 'ready', name: '`wg ready --json`', size: n, note: `${count} ready`, ...runStats(samples) });
    } finally {
      p.cleanup();
    }
  }
  return rows;
}

await standalone(import.meta, run);
