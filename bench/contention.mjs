// (e) Claims/s with 8 processes, each looping `wg claim --next` + `wg done` on one 1k graph.
// Also checks the lock did its job: no task was claimed twice.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { project, standalone } from './lib.mjs';

const WORKER = fileURLToPath(new URL('./contention-worker.mjs', import.meta.url));

export async function run({ workers = 8, seconds = 15, size = 1_000 } = {}) {
  const p = project(size);
  try {
    const deadline = Date.now() + seconds * 1000;
    const t0 = process.hrtime.bigint();
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [WORKER, p.dir, String(deadline), `bench-w${w}`], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${w} exited ${code}`))));
        }),
      ),
    );
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const claimed = results.flatMap((r) => r.claimed);
    const dupes = claimed.length - new Set(claimed).size;
    if (dupes) throw new Error(`${dupes} task(s) claimed twice under contention`);
    const all = results.flatMap((r) => r.pairMs);
    return [
      {
        scenario: 'contention',
        name: `claims/s, ${workers} processes looping claim --next + done`,
        size,
        claims: claimed.length,
        seconds: elapsed,
        claimsPerSec: claimed.length / elapsed,
        pairMedian: all.sort((a, b) => a - b)[all.length >> 1],
        errors: results.reduce((s, r) => s + r.errors, 0),
      },
    ];
  } finally {
    p.cleanup();
  }
}

await standalone(import.meta, run);
