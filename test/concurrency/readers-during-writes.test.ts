/**
 * Readers take no lock (SPEC §1 rule 3): while writers rewrite graph.jsonl, `wg list --json`
 * and `wg ready --json` always see a whole file — the old one or the new one — and a raw
 * reader polling the file never catches it half-written. On the PostgreSQL store the same `wg`
 * readers run during the same writes and must see whole committed states (the raw file reader
 * is the JSONL store's own case).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedTask } from '../helpers/files.js';
import { Procs } from '../helpers/proc.js';
import { STORES, storeProject, type StoreProject } from '../helpers/stores.js';
import { type WgResult } from '../helpers/wg.js';

const SEEDED = 600; // big enough that a save takes a while to write
const WRITER_SLOTS = 3;
// Fewer on PostgreSQL: each `wg` there also opens a connection; the overlap is what matters.
const WRITES_PER_SLOT = { jsonl: 10, postgres: 6 } as const;
const READER_SLOTS = 3;

/**
 * Polls graph.jsonl (about every millisecond) until `stop` exists; every read must be a whole
 * file: ends with a newline, every line a JSON object with an id, no id twice, and never fewer
 * lines than the previous read (writers only add). Prints a JSON summary.
 */
const RAW_READER = `
const fs = require('fs');
const [graph, stop] = process.argv.slice(1);
const pause = new Int32Array(new SharedArrayBuffer(4));
let reads = 0, maxLines = 0;
const bad = [];
while (!fs.existsSync(stop) && bad.length < 5) {
  const text = fs.readFileSync(graph, 'utf8');
  reads++;
  const lines = text.split('\\n');
  const last = lines.pop();
  if (last !== '') bad.push('ends mid-line: ' + JSON.stringify(last.slice(-80)));
  const ids = new Set();
  for (const line of lines) {
    try {
      const o = JSON.parse(line);
      if (typeof o.id !== 'string') bad.push('no id: ' + line.slice(0, 80));
      else if (ids.has(o.id)) bad.push('duplicate id ' + o.id);
      ids.add(o.id);
    } catch (e) { bad.push('not JSON: ' + line.slice(0, 80)); }
  }
  if (lines.length < maxLines) bad.push('went back from ' + maxLines + ' to ' + lines.length + ' lines');
  maxLines = Math.max(maxLines, lines.length);
  Atomics.wait(pause, 0, 0, 1);
}
process.stdout.write(JSON.stringify({ reads, maxLines, bad }));
`;

describe.each(STORES)('lock-free readers (%s store)', (store) => {
  let proj: StoreProject | undefined;
  const procs = new Procs();
  afterEach(async () => {
    await procs.killAll();
    await proj?.cleanup();
    proj = undefined;
  });

  it('readers_never_see_partial_file', async () => {
    proj = await storeProject(store);
    const p = proj;
    const graphPath = join(p.wgDir, 'graph.jsonl');
    const seeded = ['log-target', ...Array.from({ length: SEEDED }, (_, i) => `seed-${i}`)];
    await p.seed(seeded.map((id) => seedTask(id)));
    const stopFile = join(p.dir, 'stop-readers');

    /** When each add was reported done: a reader started later must see it. */
    const addedAt: Array<{ id: string; at: number }> = [];
    let writersDone = false;

    const raw = store === 'jsonl' ? procs.node(RAW_READER, [graphPath, stopFile], p.dir) : undefined;

    const writers = Array.from({ length: WRITER_SLOTS }, async (_, w) => {
      for (let i = 0; i < WRITES_PER_SLOT[store]; i++) {
        const isAdd = i % 3 !== 2;
        const id = `w${w}-${i}`;
        const args = isAdd ? ['add', `Writer ${w} task ${i}`, '--id', id] : ['log', 'log-target', `writer ${w} entry ${i}`];
        const r = await procs.wg(p.dir, args).result;
        expect(r.code, `wg ${args.join(' ')}: ${r.stderr}`).toBe(0);
        if (isAdd) addedAt.push({ id, at: performance.now() });
      }
    });

    type ReadStats = { reads: number; overlapped: number };
    const readers = Array.from({ length: READER_SLOTS }, async (_, k): Promise<ReadStats> => {
      const stats: ReadStats = { reads: 0, overlapped: 0 };
      let lastListed = 0;
      let lastReady = 0;
      // keep reading until the writers are done, and at least twice
      for (let i = 0; !writersDone || i < 2; i++) {
        const cmd = (i + k) % 2 === 0 ? 'list' : 'ready';
        const startedAt = performance.now();
        const mustSee = addedAt.filter((a) => a.at < startedAt).map((a) => a.id);
        const r: WgResult = await procs.wg(p.dir, [cmd, '--json']).result;
        stats.reads++;
        if (!writersDone) stats.overlapped++;
        expect(r.code, `wg ${cmd} --json: ${r.stderr}${r.stdout.slice(0, 300)}`).toBe(0);
        let rows: Array<{ id: string }>;
        try {
          rows = r.json<Array<{ id: string }>>();
        } catch (e) {
          throw new Error(`wg ${cmd} --json printed invalid JSON (${(e as Error).message}): ${r.stdout.slice(0, 200)}`);
        }
        expect(Array.isArray(rows)).toBe(true);
        const ids = new Set(rows.map((t) => t.id));
        expect(ids.size).toBe(rows.length);
        for (const id of seeded) if (!ids.has(id)) throw new Error(`wg ${cmd} lost seeded task ${id}`);
        for (const id of mustSee) if (!ids.has(id)) throw new Error(`wg ${cmd} started after '${id}' was added but does not show it`);
        // writers only add ready tasks, so both views only grow
        if (cmd === 'list') {
          expect(rows.length).toBeGreaterThanOrEqual(lastListed);
          lastListed = rows.length;
        } else {
          expect(rows.length).toBeGreaterThanOrEqual(lastReady);
          lastReady = rows.length;
        }
      }
      return stats;
    });

    try {
      await Promise.all(writers);
    } finally {
      writersDone = true;
    }
    const readStats = await Promise.all(readers);
    writeFileSync(stopFile, '');
    const lines = (await p.graphText()).split('\n').filter(Boolean);
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { id: string }).id));
    expect(ids.size).toBe(lines.length);
    expect(ids.size).toBe(seeded.length + addedAt.length);
    // the readers really ran while the writers did
    for (const s of readStats) expect(s.overlapped).toBeGreaterThanOrEqual(1);
    let rawNote = '';
    if (raw) {
      const rawOut = await raw.result;
      expect(rawOut.code, rawOut.stderr).toBe(0);
      const rawStats = JSON.parse(rawOut.stdout) as { reads: number; maxLines: number; bad: string[] };
      expect(rawStats.bad).toEqual([]);
      expect(existsSync(graphPath)).toBe(true);
      expect(rawStats.maxLines).toBe(ids.size);
      expect(rawStats.reads).toBeGreaterThan(20);
      rawNote = `; raw reader ${rawStats.reads} reads`;
    }
    console.log(`readers (${store}): wg reads per slot ${readStats.map((s) => `${s.reads} (${s.overlapped} during writes)`).join(', ')}${rawNote}`);
  }, 120_000);
});
