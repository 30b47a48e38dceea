// Runs every benchmark scenario and writes docs/benchmarks.md (`npm run bench` builds first).
// Options: --quick (fewer runs, no 100k; for iterating), --out FILE (default docs/benchmarks.md),
// --json FILE (also dump the raw results), --baseline FILE (raw results of an earlier run, e.g.
// of another build via WG_BENCH_BIN: adds a "before" column; --baseline-name TEXT says which build), --from FILE (render the report from
// saved results instead of running).
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, cleanupCache } from './lib.mjs';
import { run as startup } from './startup.mjs';
import { run as ready } from './ready.mjs';
import { run as add } from './add.mjs';
import { run as claimDone } from './claim-done.mjs';
import { run as contention } from './contention.mjs';
import { run as memory } from './memory.mjs';
import { run as retryLatency } from './retry-latency.mjs';
import { run as killRedispatch } from './kill-redispatch.mjs';
import { run as serviceIdle } from './service-idle.mjs';
import { run as dispatchThroughput } from './dispatch-throughput.mjs';
import { run as show } from './show.mjs';
import { run as refresh } from './refresh.mjs';
import { run as watchLatency } from './watch-latency.mjs';
import { run as archiveBench } from './archive.mjs';
import { run as hangDetection, hangSection } from './hang-detection.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const out = opt('--out') ?? join(ROOT, 'docs', 'benchmarks.md');
const readRows = (f) => {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  return Array.isArray(j) ? { rows: j, meta: {} } : j;
};
const baseline = opt('--baseline') ? readRows(opt('--baseline')).rows : undefined;
const from = opt('--from') ? readRows(opt('--from')) : undefined;

const sizes = quick ? [1_000, 10_000] : undefined;
const started = Date.now();
let loadBefore = loadavg();
let rows = [];
const step = async (label, fn) => {
  process.stderr.write(`bench: ${label}…`);
  const t = Date.now();
  const r = await fn();
  rows.push(...r);
  process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
};
if (from) rows = from.rows;
else try {
  await step('start-up', () => startup(quick ? { runs: 10 } : {}));
  await step('ready', () => ready({ sizes }));
  await step('show', () => show({ sizes }));
  await step('add', () => add({ sizes }));
  await step('claim --next + done', () => claimDone({ sizes }));
  await step('8-process contention', () => contention(quick ? { seconds: 5 } : {}));
  if (!quick) await step('memory', () => memory());
  // In-process (the source's LiveGraph): meaningless against another build's `wg`.
  if (!process.env.WG_BENCH_BIN) await step('service graph refresh', () => refresh({ sizes }));
  await step('wg retry → new agent', () => retryLatency(quick ? { runs: 8 } : {}));
  await step('kill -9 → new agent', () => killRedispatch(quick ? { runs: 8 } : {}));
  await step('service: idle tick, tick after a change, RSS', () => serviceIdle({ ...(sizes ? { sizes } : {}), ...(quick ? { kicks: 10 } : {}) }));
  await step('service: dispatch throughput', () => dispatchThroughput(quick ? { runs: 1 } : {}));
  await step('wg watch latency', () => watchLatency(quick ? { samples: 10 } : {}));
  if (!quick) await step('wg archive (90k of 100k) → ready', () => archiveBench());
  await step('service: hung agents (latency, sampling cost)', () => hangDetection(quick ? { runs: 3 } : {}));
} finally {
  cleanupCache();
}
let totalSec = (Date.now() - started) / 1000;
let loadAfter = loadavg();
let date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
if (from) ({ totalSec, loadBefore, loadAfter, date } = { totalSec, loadBefore, loadAfter, date, ...from.meta });
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify({ meta: { totalSec, loadBefore, loadAfter, date }, rows }, null, 2) + '\n');

// ---- targets ----------------------------------------------------------------------------------
/** Wall-time targets (ms, median, including Node start-up) on the 2-core reference machine. */
function target(row) {
  if (row.scenario === 'show' && row.size === 100_000) return { ms: 3 * row.nodeMedian, text: '≤ 3× `node -e 0`' };
  if (row.size === 100_000 && ['ready', 'add', 'claim', 'done'].includes(row.scenario)) return { ms: 1500, text: '≤ 1500 ms' };
  if (row.size === 10_000 && row.scenario === 'ready') return { ms: 150, text: '≤ 150 ms' };
  if (row.size === 10_000 && row.scenario === 'add') return { ms: 200, text: '≤ 200 ms' };
  if (row.scenario === 'retry-latency') return { ms: 1500, text: 'p95 ≤ 1500 ms', key: 'p95' };
  if (row.scenario === 'service-idle') return { ms: 2, text: '≤ 2 ms' };
  if (row.scenario === 'service-change' && row.size === 100_000) return { ms: 20, text: '≤ 20 ms' };
  // Not a stated target: claim/done are writes like add, so they get add's budget.
  if (row.size === 10_000 && (row.scenario === 'claim' || row.scenario === 'done')) return { ms: 200, text: '≤ 200 ms (add’s budget)' };
  return undefined;
}

// ---- report -----------------------------------------------------------------------------------
const cpu = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))[1].trim();
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
})();
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const size = (n) => (typeof n === 'number' ? `${n / 1000}k` : (n ?? '-'));
const before = (row, key = 'median') => {
  const b = baseline?.find((x) => x.scenario === row.scenario && x.size === row.size && x.name === row.name);
  return b?.[key];
};
let commit = '';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // not a git checkout
}

const L = [];
L.push('# Benchmarks', '');
L.push('Generated by `npm run bench` (bench/run.mjs), up to "Hung agents"; the sections after it (from "Agent');
L.push('exits" to "Reproduce") come from their own scripts and runs, each with its date and load, and are kept as they');
L.push('are when this file is regenerated. In the generated part, every number is the wall time of');
L.push('a real `dist/wg.mjs …` process spawned from the bench, run as users run `wg` (through its');
L.push('shebang, with its Node flags; Node start-up included), on a');
L.push('generated graph.jsonl with a realistic mix of statuses, dependencies, tags and log entries');
L.push('(~540 bytes per line). Median and p95 over 15 runs (1k, 10k) or 5 runs (100k).', '');
L.push('## Machine', '');
L.push(`- CPU: ${cpu}, ${cpus().length} cores`);
L.push(`- RAM: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`);
L.push(`- Node: ${process.version} (${process.platform}/${process.arch})`);
L.push(`- Date: ${date}${commit ? ` (commit ${commit}, plus working-tree changes)` : ''}`);
L.push(`- Full bench run: ${totalSec.toFixed(0)} s${quick ? ' (--quick)' : ''}`);
L.push(`- Load average (1/5/15 min) at start: ${loadBefore.map((x) => x.toFixed(1)).join(' / ')}; at end: ${loadAfter.map((x) => x.toFixed(1)).join(' / ')}. Wall times are only comparable between quiet runs; the CPU column (user+sys of the \`wg\` process, from /usr/bin/time) is much less sensitive to other load.`, '');
L.push('## Command latency', '');
if (baseline) L.push(`"before" is the same bench run against ${opt('--baseline-name') ?? 'the previous build'} (built as-is in a temp dir, run with`, '`WG_BENCH_BIN=<that build>/dist/wg.mjs node bench/run.mjs --json before.json`) in the same session; the', 'report was rendered with `--from after.json --baseline before.json`.', '');
const head = baseline ? '| command | tasks | median | p95 | CPU median | before: median / CPU | target | |' : '| command | tasks | median | p95 | CPU median | target | |';
L.push(head, head.replace(/[^|]+/g, (m) => '-'.repeat(Math.max(3, m.length))));
// watch latency and hang sampling have their own sections below.
for (const row of rows.filter((r) => r.median !== undefined && !r.scenario.startsWith('service-') && !r.scenario.startsWith('hang-') && r.scenario !== 'watch-latency')) {
  const t = target(row);
  const verdict = t ? ((t.key === 'p95' ? row.p95 : row.median) <= t.ms ? 'pass' : '**FAIL**') : '';
  const note = row.note ? ` (${row.note})` : '';
  const b = before(row);
  const bc = before(row, 'cpuMedian');
  const cpu = row.cpuMedian !== undefined ? fmt(row.cpuMedian) : '–';
  L.push(`| ${row.name}${note} | ${size(row.size)} | ${fmt(row.median)} | ${fmt(row.p95)} | ${cpu} |${baseline ? ` ${b !== undefined ? fmt(b) : '–'} / ${bc !== undefined ? fmt(bc) : '–'} |` : ''} ${t?.text ?? '–'} | ${verdict} |`);
}
L.push('');
L.push('## The service\'s in-memory graph', '');
L.push('`LiveGraph` (src/store/live-graph.ts) measured in a fresh process (bench/refresh-probe.ts): the initial load, an idle');
L.push('`refresh()` (nothing changed: one `stat`, the file reads counted by wrapping node:fs), the `refresh()` after one');
L.push('`wg log` run by another (real) process, and, for comparison, one full re-read of the index by hash — what the');
L.push('service did up to four times per tick before. RSS is the holder process (Node itself ~44 MB).', '');
L.push('The last two columns: building the incremental ready set (src/core/ready-set.ts) once, and updating it from');
L.push('the change after that `wg log` (readiness asked again of the logged task and its dependents only; then the');
L.push('ready list in file order).', '');
L.push('Times are wall / CPU (user+sys of the probe process; CPU is what to compare on a busy machine).', '');
L.push('| tasks | load | idle refresh | files read when idle | refresh after `wg log` | read for it | full re-read (before) | RSS steady / peak | ready set: build / update |');
L.push('|-------|------|--------------|----------------------|------------------------|-------------|-----------------------|-------------------|---------------------------|');
for (const row of rows.filter((r) => r.scenario === 'refresh')) {
  const us = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : fmt(ms));
  L.push(`| ${size(row.size)} | ${fmt(row.loadMs)} | ${us(row.idleMedianMs)} / ${us(row.idleCpuMs)} | ${row.idleIo.open + row.idleIo.read} (${row.idleIo.stat} stats / 200 refreshes) | ${us(row.afterLogMedianMs)} / ${us(row.afterLogCpuMs)} | journal, ${row.afterLogIo.readBytes} bytes | ${fmt(row.fullReadMedianMs)} / ${fmt(row.fullReadCpuMs)} | ${row.rssSteadyMb.toFixed(0)} / ${row.maxRssMb.toFixed(0)} MB | ${fmt(row.readyBuildMs)} / ${us(row.readyUpdateMedianMs)} (${row.readyCount} ready) |`);
}
L.push('');
L.push('## Contention', '');
for (const row of rows.filter((r) => r.scenario === 'contention')) {
  const b = before(row, 'claimsPerSec');
  L.push(`- ${row.name}, ${size(row.size)}-task graph: **${row.claimsPerSec.toFixed(1)} claims/s** (${row.claims} claims in ${row.seconds.toFixed(1)} s, median claim+done pair ${fmt(row.pairMedian)}, ${row.errors} errors, no task claimed twice)${b !== undefined ? `; before: ${b.toFixed(1)} claims/s` : ''}.`);
}
L.push('', 'The machine has 2 cores, so 8 contenders mostly measure how fast one process can start, take the');
L.push('lock, rewrite the file and fsync, times the cores; the lock itself serializes only the write.', '');
L.push('## Memory', '');
for (const row of rows.filter((r) => r.scenario === 'memory')) {
  const b = before(row, 'mb');
  L.push(`- ${row.name} at ${size(row.size)} tasks: **${row.mb.toFixed(0)} MB**${row.cold ? ' (one run)' : ' (max of 3 runs)'}${row.cold ? '' : ` — target ≤ 150 MB: ${row.mb <= 150 ? 'pass' : '**FAIL**'}`}${b !== undefined ? `; before: ${b.toFixed(0)} MB` : ''}.`);
}
if (quick) L.push('- (not measured in --quick mode)');
for (const row of rows.filter((r) => r.scenario === 'service-rss')) {
  const b = before(row, 'mb');
  const verdict = row.size === 100_000 ? ` — target ≤ 200 MiB: ${row.mb <= 200 ? 'pass' : '**FAIL**'}` : '';
  L.push(`- ${row.name} at ${size(row.size)} tasks: **${row.mb.toFixed(0)} MiB** (VmHWM of the daemon)${verdict}${b !== undefined ? `; before: ${b.toFixed(0)} MiB` : ''}.`);
}
L.push('', '## Service', '');
L.push('A real daemon (`wg service start`) on the generated graph, dispatcher paused: every tick is maintenance plus a');
L.push('dispatch decision. Each kick over the socket causes one tick; its time is the `ms` of its own `tick:done` line.');
L.push('CPU and bytes read per idle tick come from /proc/<daemon>/stat and /proc/<daemon>/io (`rchar`: every read(2),');
L.push('the kick on the socket included) over the idle kicks.', '');
const idle = rows.filter((r) => r.scenario === 'service-idle');
if (idle.length) {
  L.push('| tasks | idle tick median | p95 | CPU per idle tick | bytes read per idle tick | before: median / CPU / bytes read | target | |', '|---|---|---|---|---|---|---|---|');
  for (const row of idle) {
    const b = baseline?.find((x) => x.scenario === row.scenario && x.size === row.size);
    L.push(`| ${size(row.size)} | ${row.median.toFixed(2)} ms | ${row.p95.toFixed(2)} ms | ${row.cpuPerTickMs.toFixed(1)} ms | ${Math.round(row.bytesReadPerTick)} | ${b ? `${b.median.toFixed(1)} ms / ${b.cpuPerTickMs.toFixed(1)} ms / ${Math.round(b.bytesReadPerTick)}` : '–'} | ≤ 2 ms | ${row.median <= 2 ? 'pass' : '**FAIL**'} |`);
  }
  L.push('');
}
for (const row of rows.filter((r) => r.scenario === 'service-change')) {
  const b = before(row);
  L.push(`- Tick after one \`wg log\` by another process, ${size(row.size)} tasks: **${row.median.toFixed(1)} ms**${b !== undefined ? ` (before: ${b.toFixed(0)} ms)` : ''}${row.size === 100_000 ? ` — target ≤ 20 ms: ${row.median <= 20 ? 'pass' : '**FAIL**'}` : ''}${row.n > 1 ? ` (median of ${row.n} changes; the first after start: ${row.first.toFixed(1)} ms)` : ''}${row.firstSteps ? ` — the first one's steps: ${Object.entries(row.firstSteps).map(([k, v]) => `${k} ${v} ms`).join(', ')}` : ''}.`);
}
for (const row of rows.filter((r) => r.scenario === 'dispatch-throughput')) {
  const b = before(row, 'tasksPerSec');
  L.push(`- ${row.name}: **${row.tasksPerSec.toFixed(1)} tasks/s** (median of ${row.n}; min ${row.minPerSec.toFixed(1)}, max ${row.maxPerSec.toFixed(1)})${b !== undefined ? `; before: ${b.toFixed(1)} tasks/s (ratio ${(row.tasksPerSec / b).toFixed(2)})` : ''}.`);
}
for (const row of rows.filter((r) => r.scenario === 'kill-redispatch')) {
  const b = before(row);
  if (b !== undefined) L.push(`- \`kill -9\` of an agent → new agent running: median ${fmt(row.median)}, before ${fmt(b)} (ratio ${(row.median / b).toFixed(2)}).`);
}
L.push('', '## Live views', '');
L.push('`wg watch --json` in its own process; (a) this process appends a line to log/operations.jsonl and');
L.push('times its arrival on the watcher\'s stdout; (b) a real `wg log` by another process, timed from the');
L.push('operations log\'s mtime after the write (the watcher wakes on fs.watch; its poll is only a fallback).', '');
for (const row of rows.filter((r) => r.scenario === 'watch-latency')) L.push(`- ${row.name}: median **${row.median.toFixed(1)} ms**, p95 ${row.p95.toFixed(1)} ms, max ${row.max.toFixed(1)} ms (n=${row.n}) — target ≤ 100 ms: ${row.p95 <= 100 ? 'pass' : '**FAIL**'}`);
const arch = rows.filter((r) => r.scenario === 'archive');
if (arch.length) {
  L.push('', 'A 100k-task graph whose oldest 90k tasks are done, archived with `wg archive --older-than 0`; then', '`wg ready --json` on the 10k tasks left (dependencies on archived tasks satisfied) against a fresh', '10k graph. CPU (user+sys) is the comparable number when the machine is shared.', '');
  L.push('| what | tasks | wall median | CPU median | |', '|---|---|---|---|---|');
  for (const row of arch) L.push(`| ${row.name} | ${size(row.size)} | ${fmt(row.median)} | ${row.cpuMedian !== undefined ? `${row.cpuMedian.toFixed(0)} ms` : '–'} | ${row.note ?? ''} |`);
}
L.push('', 'Where the memory goes at 100k tasks: Node itself ~45 MB; reading and parsing the graph');
L.push('index (16 MB of JSON → 100k row objects) most of the rest, much of it transient parser memory.');
L.push('The 54 MB graph file is hashed in 1 MiB chunks and never held. `wg` runs with a 4 MiB V8 young');
L.push('generation (its shebang): the 16 MiB default only raised the peak. A cold run (right after a');
L.push('change made outside wg: no valid index) parses and validates every line and builds the index.');
L.push('', ...hangSection(rows));
// The hand-measured sections (their own scripts, their own runs) survive a regeneration.
const KEPT_FROM = '\n## Agent exits';
try {
  const old = readFileSync(out, 'utf8');
  const i = old.indexOf(KEPT_FROM);
  const j = old.indexOf('\n## Reproduce', i + 1);
  if (i >= 0) L.push(old.slice(i + 1, j >= 0 ? j + 1 : undefined).trimEnd(), '');
} catch {
  // no earlier file: nothing to keep
}
L.push('## Reproduce', '', '```sh', 'npm run bench            # full run, rewrites this file (~' + Math.ceil(totalSec / 60) + ' min)', 'node bench/ready.mjs      # one scenario, JSON rows on stdout', 'WG_BENCH_BIN=/path/to/other/dist/wg.mjs node bench/run.mjs --json before.json --out /tmp/before.md', 'node bench/run.mjs --from after.json --baseline before.json   # re-render with a "before" column', '```', '');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, L.join('\n'));
process.stderr.write(`bench: wrote ${out} in ${totalSec.toFixed(0)} s\n`);
