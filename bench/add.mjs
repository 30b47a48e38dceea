// (c) `wg add` (locked read-modify-write, append one line, fsync) on 1k / 10k / 100k graphs.
import { SIZES, project, runStats, runsFor, standalone, wg } from './lib.mjs';

export async function run({ sizes = SIZES } = {}) {
  const rows = [];
  for (const n of sizes) {
    const p = project(n);
    try {
      wg(['add', 'Warm up the bench'], { cwd: p.dir });
      const samples = [];
      for (let i = 0; i < runsFor(n); i++) {
        // Half of the adds carry a dependency and a tag, as agents' adds do.
        const args = ['add', `Bench task number ${i}`, '--tag', 'bench'];
        if (i % 2) args.push('--after', 'warm-up-the');
        samples.push(wg(args, { cwd: p.dir }));
      }
      rows.push({ scenario: 'add', name: '`wg add`', size: n, ...runStats(samples) });
    } finally {
      p.cleanup();
    }
  }
  return rows;
}

await standalone(import.meta, run);
