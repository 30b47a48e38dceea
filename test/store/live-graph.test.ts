/**
 * The service's in-memory graph (src/store/live-graph.ts) must always equal a fresh, full load
 * of graph.jsonl — after any sequence of writes by other processes (here: another store, the
 * same code a `wg` process runs, plus real `wg` subprocesses), by itself, hand edits, and a
 * journal that is truncated, garbled, rotated or removed. And it must catch up on other
 * writers' changes from the journal, without a full reload.
 */
import fc from 'fast-check';
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph.js';
import type { Actor, Plan } from '../../src/core/plan.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planLog } from '../../src/core/plans/annotate.js';
import { planAddDep } from '../../src/core/plans/deps.js';
import { planEdit } from '../../src/core/plans/edit.js';
import { planDone, planFail } from '../../src/core/plans/finish.js';
import { readyTasks } from '../../src/core/readiness.js';
import { STATUSES } from '../../src/core/task.js';
import { journalPath } from '../../src/store/journal.js';
import { LiveGraph } from '../../src/store/live-graph.js';
import { pathsFor } from '../../src/store/paths.js';
import { JsonlStore } from '../../src/store/store.js';
import { project as tempProject } from '../helpers/project.js';
import { openDescriptorsOf, waitFor } from '../helpers/proc.js';
import { wg } from '../helpers/wg.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const who: Actor = { now: NOW, actor: 'tester' };

/** Everything a reader can observe, from a fresh full parse. */
function observe(graph: Graph, whole: (id: string) => unknown): unknown {
  const ids = [...graph.tasks.keys()];
  return {
    ids,
    rows: ids.map((id) => {
      const { title, status, after, priority, assigned, tags, paused } = graph.peek(id)!;
      return { title, status, after, priority, assigned, tags, paused };
    }),
    whole: ids.map(whole),
    dependents: ids.map((id) => graph.dependents(id)),
    ready: readyTasks(graph, NOW).map((t) => t.id),
    cycles: graph.cycleAnalysis().cycles.map((c) => c.members),
  };
}

/** The LiveGraph's own indexes … */
function indexes(live: LiveGraph): unknown {
  const g = live.graph();
  const sorted = (s: ReadonlySet<string>): string[] => [...s].sort();
  return { status: Object.fromEntries(STATUSES.map((st) => [st, sorted(live.withStatus(st))])), claimed: sorted(live.claimed()), gates: [-1, 0, 1, 2].map((h) => live.nextGateMs(NOW.getTime() + h * 3_600_000)), positions: [...g.tasks.keys()].map((id) => g.position(id)).every((p, i, a) => i === 0 || p > a[i - 1]!) };
}

/** … and what they must be, computed from a fresh full load. */
function expectedIndexes(g: Graph): unknown {
  const all = [...g.tasks.values()];
  const ids = (f: (t: (typeof all)[number]) => boolean): string[] => all.filter(f).map((t) => t.id).sort();
  const gates = all.filter((t) => t.status === 'open' || t.status === 'incomplete').flatMap((t) => (t.not_before ? [Date.parse(t.not_before)] : []));
  return {
    status: Object.fromEntries(STATUSES.map((st) => [st, ids((t) => t.status === st)])),
    claimed: ids((t) => !!t.assigned),
    gates: [-1, 0, 1, 2].map((h) => {
      const after = gates.filter((x) => x > NOW.getTime() + h * 3_600_000);
      return after.length ? Math.min(...after) : undefined;
    }),
    positions: true,
  };
}

type Op =
  | { kind: 'add'; by: 'other' | 'self'; n: number; dep: number | null }
  | { kind: 'log'; by: 'other' | 'self'; n: number; text: string }
  | { kind: 'edit'; by: 'other' | 'self'; n: number; title: string; gate: number | null }
  | { kind: 'finish'; by: 'other' | 'self'; n: number; fail: boolean }
  | { kind: 'dep'; by: 'other' | 'self'; n: number; m: number }
  | { kind: 'hand'; n: number; inPlace: boolean }
  | { kind: 'journal'; how: 'truncate' | 'garbage' | 'remove' | 'rotate' }
  | { kind: 'index'; how: 'remove' | 'garbage' }
  | { kind: 'refresh' };

const by = fc.constantFrom<'other' | 'self'>('other', 'self');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), by, n: fc.nat(30), dep: fc.option(fc.nat(30), { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('log' as const), by, n: fc.nat(30), text: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const), by, n: fc.nat(30), title: fc.string({ minLength: 1, maxLength: 30 }).map((s) => `t ${s} é`), gate: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('finish' as const), by, n: fc.nat(30), fail: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dep' as const), by, n: fc.nat(30), m: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hand' as const), n: fc.nat(30), inPlace: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('journal' as const), how: fc.constantFrom('truncate' as const, 'garbage' as const, 'remove' as const, 'rotate' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('index' as const), how: fc.constantFrom('remove' as const, 'garbage' as const) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'refresh' as const }) },
);

describe('LiveGraph (the service copy) equals a fresh full load', () => {
  let p: ReturnType<typeof tempProject> | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('after random writes by others and itself, hand edits and broken journals', async () => {
    await fc.assert(
      // keepStored false: the dashboards' read-only copy (no index entry texts kept); its own
      // writes must then re-serialize the index and still leave the same graph.
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), fc.boolean(), async (ops, keepStored) => {
        p?.cleanup();
        p = tempProject();
        const paths = pathsFor(p.wgDir);
        const other = new JsonlStore(paths);
        await other.mutate((g) => planAdd(g, { title: 'seed', id: 't0' }, who), { now: NOW });
        const live = new LiveGraph(paths, undefined, { keepStored });
        try {
          const ids = (): string[] => [...live.graph().tasks.keys()];
          const pick = (n: number): string | undefined => ids()[n % Math.max(1, ids().length)];
          let unexplained = false; // a change the journal cannot explain happened since the last check
          let damaged = false; // the journal was damaged: a later catch-up may need a reload
          let reloadsAtCheck = live.stats.reloads;
          for (const o of ops) {
            if (o.kind === 'refresh') {
              live.refresh();
              const fresh = new JsonlStore(paths).load().graph;
              const mine = live.graph();
              expect(observe(mine, (id) => mine.get(id))).toEqual(observe(fresh, (id) => fresh.get(id)));
              expect(indexes(live)).toEqual(expectedIndexes(fresh));
              // Only what the journal cannot explain costs a reload.
              if (!unexplained && !damaged) expect(live.stats.reloads).toBe(reloadsAtCheck);
              if (live.stats.reloads > reloadsAtCheck) damaged = false; // a reload resynchronizes
              unexplained = false;
              reloadsAtCheck = live.stats.reloads;
              continue;
            }
            if (o.kind === 'hand') {
              const text = readFileSync(paths.graph, 'utf8');
              const lines = text.split('\n');
              const i = o.n % (lines.length - 1);
              const t = JSON.parse(lines[i]!) as Record<string, unknown>;
              t.title = `hand ${String(t.title).slice(0, 20)}`;
              lines[i] = JSON.stringify(t);
              if (o.inPlace) writeFileSync(paths.graph, lines.join('\n'));
              else {
                writeFileSync(`${paths.graph}.edit`, lines.join('\n'));
                renameSync(`${paths.graph}.edit`, paths.graph);
              }
              unexplained = true;
              continue;
            }
            if (o.kind === 'journal') {
              const j = journalPath(paths.dir);
              if (!existsSync(j)) continue;
              if (o.how === 'truncate') truncateSync(j, Math.floor(readFileSync(j).length / 2));
              if (o.how === 'garbage') appendFileSync(j, '{"torn":');
              if (o.how === 'remove') rmSync(j);
              if (o.how === 'rotate') {
                renameSync(j, `${j}.1`);
                rmSync(`${j}.1`);
              }
              // A broken journal may force a reload, now or at the next catch-up (never a wrong copy).
              damaged = true;
              continue;
            }
            if (o.kind === 'index') {
              const idx = join(paths.dir, 'cache', 'graph-index.json');
              if (o.how === 'remove') rmSync(idx, { force: true });
              else writeFileSync(idx, '[{"v":12,"garbage":true}]');
              continue;
            }
            let plan: ((g: Graph) => Plan<unknown>) | undefined;
            const id = pick(o.n);
            if (o.kind === 'add') {
              const dep = o.dep === null ? undefined : pick(o.dep);
              plan = (g) => planAdd(g, { title: `task ${o.n}`, ...(dep ? { after: [dep] } : {}) }, who);
            } else if (id && o.kind === 'log') plan = (g) => planLog(g, id, o.text, who);
            else if (id && o.kind === 'edit') plan = (g) => planEdit(g, id, { title: o.title, ...(o.gate !== null ? { notBefore: new Date(NOW.getTime() + o.gate * 3_600_000) } : {}) }, who);
            else if (id && o.kind === 'finish') plan = (g) => (o.fail ? planFail(g, id, who, { reason: 'x' }) : planDone(g, id, who));
            else if (id && o.kind === 'dep') {
              const dep = pick(o.m);
              if (dep && dep !== id) plan = (g) => planAddDep(g, id, dep, who);
            }
            if (!plan) continue;
            try {
              if (o.by === 'self') await live.mutate(plan, { now: NOW });
              else await other.mutate(plan, { now: NOW });
            } catch (e) {
              // A refused transition (done with open deps, a cycle) changes nothing.
              if (!(e as { code?: string }).code) throw e;
            }
          }
          live.refresh();
          const fresh = new JsonlStore(paths).load().graph;
          const mine = live.graph();
          expect(observe(mine, (id) => mine.get(id))).toEqual(observe(fresh, (id) => fresh.get(id)));
        } finally {
          live.close();
        }
      }),
      { numRuns: 30 },
    );
    // Real files and fsyncs: ~20 s alone, much longer when the suite loads the machine.
  }, 240_000);

  it('catches up on writes by real wg processes from the journal: no reload, one stat when idle', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    for (let i = 0; i < 5; i++) p.run(['add', `Task ${i}`, '--id', `t${i}`]);
    const live = new LiveGraph(paths);
    try {
      expect(live.refresh()).toBe(false);
      expect(live.takeChanges().reload).toBe(true); // the initial load
      const reloads = live.stats.reloads;
      const gen = live.generation;
      expect(live.refresh()).toBe(false);
      expect(live.generation).toBe(gen);
      expect(wg(p.dir, ['log', 't1', 'progress']).code).toBe(0);
      expect(wg(p.dir, ['add', 'More', '--id', 'more', '--after', 't2']).code).toBe(0);
      expect(wg(p.dir, ['done', 't0']).code).toBe(0);
      expect(live.refresh()).toBe(true);
      expect(live.generation).toBeGreaterThan(gen);
      expect(live.stats.reloads).toBe(reloads);
      expect(live.stats.replayed).toBe(3);
      const c = live.takeChanges();
      // t2 gets the `before` mirror of the new edge.
      expect(c.reload).toBe(false);
      expect([...c.ids].sort()).toEqual(['more', 't0', 't1', 't2']);
      expect(c.structural).toBe(true);
      expect(live.graph().get('t1')!.log!.at(-1)!.message).toBe('progress');
      expect(live.graph().dependents('t2')).toEqual(['more']);
      expect(live.refresh()).toBe(false);
      // A log entry changes no structure.
      expect(wg(p.dir, ['log', 't3', 'again']).code).toBe(0);
      live.refresh();
      expect(live.takeChanges()).toEqual({ reload: false, ids: new Set(['t3']), structural: false });
      // A hand edit is not in the journal: full reload, still equal.
      writeFileSync(paths.graph, readFileSync(paths.graph, 'utf8').replace('"title":"Task 4"', '"title":"Task four"'));
      live.refresh();
      expect(live.stats.reloads).toBe(reloads + 1);
      expect(live.graph().peek('t4')!.title).toBe('Task four');
      expect(live.takeChanges().reload).toBe(true);
    } finally {
      live.close();
    }
  });

  it('a one-line change by another writer costs that line: one line parsed, no reload, no pass over all spans', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    const ids = Array.from({ length: 400 }, (_, i) => `t${i}`);
    p.seed(ids.map((id, i) => ({ id, ...(i % 3 ? { after: [`t${i - 1}`] } : {}), log: [{ timestamp: NOW.toISOString(), message: `seeded ${id}` }] })));
    const other = new JsonlStore(paths);
    await other.mutate((g) => planLog(g, 't0', 'builds the index', who), { now: NOW });
    const live = new LiveGraph(paths);
    try {
      const { reloads, parsed } = live.stats;
      expect(parsed).toBe(0); // loaded from the index: no line parsed
      live.takeChanges(); // the initial load
      // t200's line grows: every later line moves.
      await other.mutate((g) => planLog(g, 't200', 'one more entry', who), { now: NOW });
      expect(live.refresh()).toBe(true);
      expect(live.stats).toMatchObject({ reloads, replayed: 1, parsed: 1 });
      expect(live.spanPasses).toBe(0);
      expect(live.takeChanges()).toEqual({ reload: false, ids: new Set(['t200']), structural: false });
      // An appended task: one more line parsed.
      await other.mutate((g) => planAdd(g, { title: 'New', id: 'new', after: ['t399'] }, who), { now: NOW });
      live.refresh();
      expect(live.stats).toMatchObject({ reloads, replayed: 2 });
      expect(live.stats.parsed).toBe(3); // the new line, and t399's `before` mirror
      expect(live.spanPasses).toBe(0);
      // Lines read on demand after the moved ones are still found where they are now.
      expect(live.graph().get('t200')!.log!.at(-1)!.message).toBe('one more entry');
      for (const id of ['t201', 't300', 't399', 'new']) expect(live.graph().get(id)!.id).toBe(id);
      expect(live.graph().get('t399')!.log![0]!.message).toBe('seeded t399');
      const fresh = await new JsonlStore(paths).load();
      expect(observe(live.graph(), (id) => live.graph().get(id))).toEqual(observe(fresh.graph, (id) => fresh.graph.get(id)));
    } finally {
      live.close();
    }
  });

  it('holds a replaced file open until settle(), then closes it; close() closes everything', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    const other = new JsonlStore(paths);
    await other.mutate((g) => planAdd(g, { title: 'A', id: 'a' }, who), { now: NOW });
    const held = (): number => openDescriptorsOf(`${paths.graph} (deleted)`);
    const live = new LiveGraph(paths);
    try {
      await other.mutate((g) => planLog(g, 'a', 'one', who), { now: NOW });
      await other.mutate((g) => planLog(g, 'a', 'two', who), { now: NOW });
      live.refresh();
      // The file it loaded was replaced twice: the copy held the first one, now replaced.
      expect(held()).toBe(1);
      live.settle();
      await waitFor('the replaced file closed', () => held() === 0);
      await other.mutate((g) => planLog(g, 'a', 'three', who), { now: NOW });
      live.refresh();
      expect(held()).toBe(1);
    } finally {
      live.close();
    }
    expect(held()).toBe(0);
    expect(openDescriptorsOf(paths.graph)).toBe(0);
  });

  it('follows the journal across one rotation; a reader two rotations behind reloads', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    const other = new JsonlStore(paths);
    await other.mutate((g) => planAdd(g, { title: 'A', id: 'a' }, who), { now: NOW });
    const live = new LiveGraph(paths);
    const saved = process.env.WG_JOURNAL_ROTATE_BYTES;
    try {
      await other.mutate((g) => planLog(g, 'a', 'one', who), { now: NOW });
      // From now on every append rotates: the previous entries move to `.1`.
      process.env.WG_JOURNAL_ROTATE_BYTES = '1';
      await other.mutate((g) => planLog(g, 'a', 'two', who), { now: NOW });
      const reloads = live.stats.reloads;
      live.refresh();
      expect(live.stats.reloads).toBe(reloads);
      expect(live.stats.replayed).toBe(2);
      await other.mutate((g) => planLog(g, 'a', 'three', who), { now: NOW });
      await other.mutate((g) => planLog(g, 'a', 'four', who), { now: NOW });
      live.refresh();
      expect(live.stats.reloads).toBe(reloads + 1);
      expect(live.graph().get('a')!.log!.map((e) => e.message)).toEqual(['Task added', 'one', 'two', 'three', 'four']);
    } finally {
      if (saved === undefined) delete process.env.WG_JOURNAL_ROTATE_BYTES;
      else process.env.WG_JOURNAL_ROTATE_BYTES = saved;
      live.close();
    }
  });

  it('a corrupt line written behind its back fails the reload loudly, like every reader', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    p.run(['add', 'A', '--id', 'a']);
    p.rustUnloadable('appends a corrupt line on purpose');
    const live = new LiveGraph(paths);
    try {
      appendFileSync(paths.graph, '{"id":"b","title":"B","status":"bogus"}\n');
      expect(() => live.refresh()).toThrow(/graph\.jsonl:2: .*status/);
    } finally {
      live.close();
    }
  });
});
