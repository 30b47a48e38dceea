// `wg archive` on a long-lived graph: 100k tasks of which the oldest 90k are done. Measures the
// archive itself, then `wg ready --json` on the archived graph (10k tasks left, dependencies on
// archived tasks satisfied through cache/archive-ids.txt) against the 100k graph before and a
// fresh 10k graph (issue 12: "makes ready as fast as a 10k graph").
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateGraph, project, runStats, standalone, wg } from './lib.mjs';

function longLived(n, done) {
  const lines = generateGraph(n, 7).trimEnd().split('\n');
  return (
    lines
      .map((l, i) => {
        const t = JSON.parse(l);
        if (i < done) {
          t.status = 'done';
          t.completed_at ??= t.started_at ?? t.created_at;
          delete t.assigned;
          delete t.paused;
          delete t.failure_reason;
          delete t.failure_class;
        } else if (t.status === 'done' || t.status === 'abandoned') t.status = 'open';
        return JSON.stringify(t);
      })
      .join('\n') + '\n'
  );
}

const readySamples = (dir, runs) => {
  wg(['ready', '--json'], { cwd: dir });
  const s = [];
  for (let i = 0; i < runs; i++) s.push(wg(['ready', '--json'], { cwd: dir }));
  return { ...runStats(s), count: JSON.parse(s[0].stdout).length };
};

export async function run({ runs = 9 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wg-bench-archive-'));
  const rows = [];
  const small = project(10_000);
  try {
    mkdirSync(join(dir, '.wg'));
    writeFileSync(join(dir, '.wg', 'graph.jsonl'), longLived(100_000, 90_000));
    const before = readySamples(dir, Math.min(runs, 5));
    rows.push({ scenario: 'archive', name: '`wg ready --json`, 100k tasks (90k done), before archiving', size: 100_000, note: `${before.count} ready`, ...before });
    const a = wg(['archive', '--older-than', '0', '--json'], { cwd: dir });
    const moved = JSON.parse(a.stdout).archived.length;
    rows.push({ scenario: 'archive', name: '`wg archive --older-than 0` (90k tasks moved)', size: 100_000, note: `${moved} archived; archive.jsonl ${(statSync(join(dir, '.wg', 'archive.jsonl')).size / 1e6).toFixed(0)} MB`, n: 1, median: a.ms, p95: a.ms, min: a.ms, max: a.ms, cpuMedian: a.cpuMs });
    const after = readySamples(dir, runs);
    rows.push({ scenario: 'archive', name: '`wg ready --json` after archiving (10k tasks left)', size: 10_000, note: `${after.count} ready`, ...after });
    const fresh = readySamples(small.dir, runs);
    rows.push({ scenario: 'archive', name: '`wg ready --json`, a fresh 10k graph (reference)', size: 10_000, note: `${fresh.count} ready`, ...fresh });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    small.cleanup();
  }
  return rows;
}

await standalone(import.meta, run);
