/**
 * The head of the dispatch order a long-lived PostgreSQL copy keeps (src/core/dispatch-queue.ts)
 * against the one rule: after any sequence of changes — statuses, priorities, spawn counts, new
 * tasks, time passing — its first k (with a filter) equal byDispatchOrder(readyTasks()) filtered,
 * first k. A small head size makes it run dry, grow past twice its size and be ranked again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DispatchQueue } from '../../src/core/dispatch-queue.js';
import { Graph } from '../../src/core/graph.js';
import { ReadySet } from '../../src/core/ready-set.js';
import { byDispatchOrder, firstInDispatchOrder, readyTasks } from '../../src/core/readiness.js';
import type { Status, Task } from '../../src/core/task.js';
import { HOUR, NOW, task } from './fixtures.js';

type Change =
  | { kind: 'status'; n: number; status: Status }
  | { kind: 'priority'; n: number; priority: number }
  | { kind: 'spawned'; n: number }
  | { kind: 'add'; priority: number; dep: number }
  | { kind: 'gate'; n: number; hours: number }
  | { kind: 'time'; hours: number }
  | { kind: 'take'; k: number; skip: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('status' as const), n: fc.nat(60), status: fc.constantFrom<Status>('open', 'in-progress', 'done', 'incomplete', 'failed') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('priority' as const), n: fc.nat(60), priority: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('spawned' as const), n: fc.nat(60) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), priority: fc.integer({ min: 0, max: 3 }), dep: fc.integer({ min: -1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gate' as const), n: fc.nat(60), hours: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('time' as const), hours: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('take' as const), k: fc.integer({ min: 1, max: 6 }), skip: fc.nat(3) }) },
);

const initial = fc.array(
  fc.record({ status: fc.constantFrom<Status>('open', 'open', 'open', 'done', 'in-progress'), priority: fc.integer({ min: 0, max: 3 }), dep: fc.integer({ min: -1, max: 20 }) }),
  { minLength: 1, maxLength: 20 },
);

describe('DispatchQueue', () => {
  it('firstInDispatchOrder equals byDispatchOrder().slice(0, k) on tasks in file order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ priority: fc.integer({ min: 0, max: 3 }), spawns: fc.nat(2) }), { maxLength: 40 }), fc.nat(10), (rows, k) => {
        const tasks = rows.map((r, i) => task(`t${i}`, { priority: r.priority, dispatch_count: r.spawns }));
        const shuffled = [...tasks].reverse();
        const pos = (id: string): number => Number(id.slice(1));
        expect(firstInDispatchOrder(shuffled, k, pos)).toEqual(byDispatchOrder(tasks).slice(0, k));
      }),
      { numRuns: 300 },
    );
  });

  it('its first k equal the ready tasks in dispatch order after any sequence of changes', () => {
    fc.assert(
      fc.property(initial, fc.array(change, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (init, changes, size) => {
        const tasks = new Map<string, Task>();
        const order: string[] = [];
        const put = (t: Task): void => {
          if (!tasks.has(t.id)) order.push(t.id);
          tasks.set(t.id, t);
        };
        init.forEach((r, i) => put(task(`t${i}`, { status: r.status, priority: r.priority, ...(r.dep >= 0 && r.dep < i ? { after: [`t${r.dep}`] } : {}) })));
        const position = (id: string): number => order.indexOf(id);
        const graph = (): Graph => {
          const g = Graph.fromParts({ tasks: new Map(order.map((id) => [id, tasks.get(id)!])), position });
          g.knownAcyclic = true; // edges only point at earlier tasks
          return g;
        };
        let now = NOW;
        let g = graph();
        const ready = new ReadySet(g, now);
        ready.trackAdded = true;
        const queue = new DispatchQueue(position, size);
        const pick = (n: number): Task => tasks.get(order[n % order.length]!)!;
        let skip = new Set<string>();
        for (const c of changes) {
          const ids = new Set<string>();
          let structural = false;
          const replace = (t: Task, patch: Partial<Task>): void => {
            put({ ...t, ...patch });
            ids.add(t.id);
          };
          if (c.kind === 'status') replace(pick(c.n), { status: c.status });
          if (c.kind === 'priority') replace(pick(c.n), { priority: c.priority });
          if (c.kind === 'spawned') replace(pick(c.n), { dispatch_count: (pick(c.n).dispatch_count ?? 0) + 1 });
          if (c.kind === 'gate') replace(pick(c.n), { not_before: new Date(now.getTime() + c.hours * HOUR).toISOString() });
          if (c.kind === 'add') {
            const id = `n${order.length}`;
            put(task(id, { priority: c.priority, ...(c.dep >= 0 ? { after: [pick(c.dep).id] } : {}) }));
            ids.add(id);
            structural = true;
          }
          if (c.kind === 'time') now = new Date(now.getTime() + c.hours * HOUR);
          g = graph();
          // What the PostgreSQL row copy does in ready(): the set first, then the queue.
          ready.update(g, { reload: false, ids, structural }, now);
          ready.advance(g, now);
          const added = ready.takeAdded();
          if (added.all) queue.invalidate();
          queue.note(ids, ready, g.tasks);
          queue.note(added.ids, ready, g.tasks);
          if (c.kind === 'take') {
            const keep = (t: Task): boolean => !skip.has(t.id);
            const want = byDispatchOrder(readyTasks(g, now)).filter(keep).slice(0, c.k);
            expect(queue.first(c.k, keep, ready, g.tasks).map((t) => t.id)).toEqual(want.map((t) => t.id));
            // The next look passes over some of these (as claimNext passes over held rows).
            skip = new Set(want.slice(0, c.skip).map((t) => t.id));
          }
        }
        const all = byDispatchOrder(readyTasks(g, now));
        expect(queue.first(all.length + 1, () => true, ready, g.tasks)).toEqual(all);
      }),
      { numRuns: 500 },
    );
  });
});
