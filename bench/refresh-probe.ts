// The service's in-memory graph (src/store/live-graph.ts), measured in a fresh process on a
// project dir: initial load, an idle refresh (must read no file), a refresh after one `wg log`
// by another (real) process, and — for comparison — a full re-read of the index, which is what
// the service did up to four times per tick before. Bundled and run by bench/refresh.mjs:
//   node <bundle> <project dir> <wg entry> <runs>   → one JSON object on stdout
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { ReadySet } from '../src/core/ready-set.js';
import { LiveGraph } from '../src/store/live-graph.js';
import { pathsFor } from '../src/store/paths.js';
import { loadState, openGraph } from '../src/store/store.js';
import { readIndexFile } from '../src/store/graph-index.js';

const [dir, wgEntry, runsArg] = process.argv.slice(2) as [string, string, string];
const runs = Number(runsArg) || 10;
const paths = pathsFor(`${dir}/.wg`);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Count every file read and open this process makes (node:fs, CJS and ESM views alike).
const counts = { open: 0, read: 0, readBytes: 0, stat: 0 };
const cjs = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of ['openSync', 'readSync', 'readFileSync', 'statSync', 'fstatSync']) {
  const orig = cjs[name]!;
  cjs[name] = function (this: unknown, ...a: unknown[]) {
    const r = orig.apply(this, a);
    if (name === 'openSync') counts.open++;
    else if (name === 'readSync') {
      counts.read++;
      counts.readBytes += r as number;
    } else if (name === 'readFileSync') {
      counts.read++;
      counts.readBytes += (r as { length: number }).length;
    } else counts.stat++;
    return r;
  };
}
syncBuiltinESMExports();
/** CPU time (user+sys) of `fn` in ms: what to compare when other work shares the machine. */
const cpuMs = (fn: () => void): { wall: number; cpu: number } => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
};
const snapshot = (): typeof counts => ({ ...counts });
const diff = (a: typeof counts, b: typeof counts): typeof counts => ({ open: b.open - a.open, read: b.read - a.read, readBytes: b.readBytes - a.readBytes, stat: b.stat - a.stat });

let t = performance.now();
const live = new LiveGraph(paths);
const loadMs = performance.now() - t;
global.gc?.();
const rssAfterLoad = process.memoryUsage().rss;

// The incremental ready set the service can keep (src/core/ready-set.ts): built once…
const now = new Date();
t = performance.now();
const ready = new ReadySet(live.graph(), now);
const readyBuildMs = performance.now() - t;
live.takeChanges();

// Idle: nothing changed.
const idle: number[] = [];
const c0 = snapshot();
const idleCpu = cpuMs(() => {
  for (let i = 0; i < 200; i++) {
    t = performance.now();
    live.refresh();
    idle.push(performance.now() - t);
  }
}).cpu / 200;
const idleIo = diff(c0, snapshot());

// One `wg log` by another process, then the refresh that catches up.
const target = [...live.graph().tasks.keys()][Math.floor(live.graph().tasks.size / 2)]!;
const after: number[] = [];
const afterCpu: number[] = [];
const readyUpdate: number[] = [];
const readyUpdateCpu: number[] = [];
const afterIo: Array<typeof counts> = [];
const reloadsBefore = live.stats.reloads;
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, [wgEntry, 'log', target, `bench entry ${i}`], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wg log failed: ${r.stderr}`);
  const c = snapshot();
  const m = cpuMs(() => live.refresh());
  after.push(m.wall);
  afterCpu.push(m.cpu);
  afterIo.push(diff(c, snapshot()));
  // …then updated from the change (the logged task and its dependents are asked again).
  const u = cpuMs(() => {
    ready.update(live.graph(), live.takeChanges(), now);
    ready.tasks(live.graph());
  });
  readyUpdate.push(u.wall);
  readyUpdateCpu.push(u.cpu);
}
if (live.stats.reloads !== reloadsBefore) throw new Error('a wg log by another process caused a full reload');
const lastLog = live.graph().get(target)!.log!.at(-1)!.message;
if (lastLog !== `bench entry ${runs - 1}`) throw new Error(`the copy missed a change: ${lastLog}`);

// The holder's memory: after load, ten catch-ups and the idle loop (before the comparison below).
const maxRssMb = process.resourceUsage().maxRSS / 1024;
global.gc?.();
const rssSteadyMb = process.memoryUsage().rss / 2 ** 20;

// For comparison: a full re-read of the index by hash (the previous service, per step).
const full: number[] = [];
const fullCpu: number[] = [];
for (let i = 0; i < Math.min(runs, 3); i++) {
  const m = cpuMs(() => {
    const { fd, stat } = openGraph(paths);
    loadState(fd, stat, readIndexFile(paths.dir), { trust: false });
    fs.closeSync(fd);
  });
  full.push(m.wall);
  fullCpu.push(m.cpu);
}

console.log(
  JSON.stringify({
    tasks: live.graph().tasks.size,
    loadMs,
    rssAfterLoadMb: rssAfterLoad / 2 ** 20,
    rssSteadyMb,
    maxRssMb,
    idleMedianMs: median(idle),
    idleCpuMs: idleCpu,
    idleIo,
    afterLogMedianMs: median(after),
    afterLogCpuMs: median(afterCpu),
    afterLogIo: afterIo[afterIo.length - 1],
    fullReadMedianMs: median(full),
    fullReadCpuMs: median(fullCpu),
    readyBuildMs,
    readyUpdateMedianMs: median(readyUpdate),
    readyUpdateCpuMs: median(readyUpdateCpu),
    readyCount: ready.size,
  }),
);
live.close();
