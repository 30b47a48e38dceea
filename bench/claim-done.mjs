// (d) `wg claim --next` then `wg done <id>` on 1k / 10k / 100k graphs (each timed on its own).
import { SIZES, project, runStats, runsFor, standalone, wg } from './lib.mjs';

export async function run({ sizes = SIZES } = {}) {
  const rows = [];
  for (const n of sizes) {
    const p = project(n);
    try {
      const claim = [];
      const done = [];
      for (let i = 0; i < runsFor(n) + 1; i++) {
        const c = wg(['claim', '--next', '--json'], { cwd: p.dir });
        const id = JSON.parse(c.stdout).claimed;
        if (!id) throw new Error('claim --next found nothing to claim');
        const d = wg(['done', id], { cwd: p.dir });
        if (i === 0) continue; // warm-up pair
        claim.push(c);
        done.push(d);
      }
      rows.push({ scenario: 'claim', name: '`wg claim --next`', size: n, ...runStats(claim) });
      rows.push({ scenario: 'done', name: '`wg done`', size: n, ...runStats(done) });
    } finally {
      p.cleanup();
    }
  }
  return rows;
}

await standalone(import.meta, run);
