// The service's in-memory graph (src/store/live-graph.ts) at 1k / 10k / 100k tasks: what an idle
// refresh costs (and that it reads no file), what catching up on one `wg log` made by another
// process costs, and a full re-read (what the service did up to 4× per tick before), plus the
// holder's memory. Runs bench/refresh-probe.ts (bundled with esbuild) in a fresh process.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, SIZES, WG, env, project, standalone, wg } from './lib.mjs';

async function probe() {
  // Inside node_modules so the bundle's require('fs-ext') resolves.
  const outfile = join(ROOT, 'node_modules', '.cache', 'wg-bench', 'refresh-probe.mjs');
  mkdirSync(join(ROOT, 'node_modules', '.cache', 'wg-bench'), { recursive: true });
  await build({ entryPoints: [join(ROOT, 'bench', 'refresh-probe.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['fs-ext', 'pino'], logLevel: 'warning' });
  return outfile;
}

export async function run({ sizes = SIZES, runs = 10 } = {}) {
  const bundle = await probe();
  const rows = [];
  for (const n of sizes) {
    const p = project(n);
    try {
      wg(['ready'], { cwd: p.dir }); // builds the index, as any first command does
      const r = spawnSync(process.execPath, ['--expose-gc', bundle, p.dir, WG, String(runs)], { env: env(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`refresh probe failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1));
      rows.push({ scenario: 'refresh', size: n, ...m });
    } finally {
      p.cleanup();
    }
  }
  return rows;
}

await standalone(import.meta, run);
