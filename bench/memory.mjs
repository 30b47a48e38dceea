// (f) Peak RSS of `wg ready --json` at 100k tasks (/usr/bin/time -f %M: the child's maxrss).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WG, env, project, standalone, stats } from './lib.mjs';

export async function run({ size = 100_000, runs = 3 } = {}) {
  const p = project(size);
  try {
    const kb = [];
    // Run 0 is cold: the fresh copy has no graph index yet, so it parses and validates every
    // line and builds the index. Runs 1..N are the steady state every later command sees.
    for (let i = 0; i <= runs; i++) {
      let r;
      if (existsSync('/usr/bin/time')) {
        r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', WG, 'ready', '--json'], { cwd: p.dir, env: env(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      } else {
        // Fallback: the child reports its own maxRSS on exit.
        const hook = "process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n'))";
        r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, WG, 'ready', '--json'], { cwd: p.dir, env: env(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      }
      if (r.status !== 0) throw new Error(`ready failed: ${r.stderr}`);
      kb.push(Number(/MAXRSS (\d+)/.exec(r.stderr)[1]));
    }
    const cold = kb[0] / 1024;
    const s = stats(kb.slice(1).map((k) => k / 1024));
    return [
      { scenario: 'memory', name: 'peak RSS of `wg ready --json` (graph index current)', size, mb: s.max, medianMb: s.median },
      { scenario: 'memory', name: 'peak RSS of `wg ready --json`, cold (no index: full parse + index build)', size, mb: cold, medianMb: cold, cold: true },
    ];
  } finally {
    p.cleanup();
  }
}

await standalone(import.meta, run);
