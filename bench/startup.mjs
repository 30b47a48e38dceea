// (a) Start-up: `wg --version`, next to bare `node -e 0` (what Node itself costs).
import { spawnSync } from 'node:child_process';
import { runStats, stats, standalone, wg, ROOT } from './lib.mjs';

export async function run({ runs = 30 } = {}) {
  const node = [];
  const ver = [];
  wg(['--version']); // warm the page cache
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    node.push(Number(process.hrtime.bigint() - t0) / 1e6);
    ver.push(wg(['--version'], { cwd: ROOT }));
  }
  return [
    { scenario: 'startup', name: '`node -e 0` (Node itself, reference)', size: '-', ...stats(node) },
    { scenario: 'startup', name: '`wg --version`', size: '-', ...runStats(ver) },
  ];
}

await standalone(import.meta, run);
