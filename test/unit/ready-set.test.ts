/**
 * The incremental ready set (src/core/ready-set.ts) against the one readiness rule: after any
 * sequence of changes — statuses, pauses, new tasks (possibly a dependency that was missing),
 * new edges (possibly closing a configured or unconfigured cycle), evaluation companions, time
 * gates opening as the clock moves — its tasks equal readyTasks() on the changed graph.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, isAcyclic } from '../../src/core/graph.js';
import { ReadySet } from '../../src/core/ready-set.js';
import { readyTasks } from '../../src/core/readiness.js';
import { STATUSES, type Status, type Task } from '../../src/core/task.js';
import { HOUR, NOW, task } from './fixtures.js';

type Change =
  | { kind: 'status'; n: number; status: Status }
  | { kind: 'pause'; n: number }
  | { kind: 'add'; id: string; deps: number[] }
  | { kind: 'edge'; n: number; m: number }
  | { kind: 'loop'; n: number }
  | { kind: 'gate'; n: number; hours: number }
  | { kind: 'eval'; n: number; status: Status }
  | { kind: 'time'; hours: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('status' as const), n: fc.nat(40), status: fc.constantFrom(...STATUSES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), n: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.constantFrom('x', 'y', 'z', 'ghost', 'w'), deps: fc.array(fc.nat(40), { maxLength: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('edge' as const), n: fc.nat(40), m: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('loop' as const), n: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('gate' as const), n: fc.nat(40), hours: fc.integer({ min: -2, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('eval' as const), n: fc.nat(40), status: fc.constantFrom(...STATUSES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), hours: fc.integer({ min: 0, max: 2 }) }) },
);

const initial = fc.array(fc.record({ status: fc.constantFrom<Status>('open', 'open', 'done', 'in-progress', 'incomplete', 'failed'), deps: fc.array(fc.nat(12), { maxLength: 2 }) }), { minLength: 1, maxLength: 12 });

/** A graph of `tasks` as the service's copy presents it (knownAcyclic from the store's flag). */
const view = (tasks: Task[]): Graph => {
  const g = new Graph(tasks);
  g.knownAcyclic = isAcyclic(g);
  return g;
};

describe('ReadySet', () => {
  it('equals readyTasks() after any sequence of changes', () => {
    fc.assert(
      fc.property(initial, fc.array(change, { maxLength: 25 }), (init, changes) => {
        const tasks: Task[] = init.map((r, i) => task(`t${i}`, { status: r.status, ...(r.deps.filter((d) => d < i).length ? { after: [...new Set(r.deps.filter((d) => d < i).map((d) => `t${d}`))] } : {}) }));
        tasks.push(task('dangling', { after: ['ghost'] }));
        let now = NOW;
        let g = view(tasks);
        const set = new ReadySet(g, now);
        const expectEqual = (): void => expect(set.tasks(g)).toEqual(readyTasks(g, now));
        expectEqual();
        for (const c of changes) {
          const pick = (n: number): Task => tasks[n % tasks.length]!;
          const ids = new Set<string>();
          let structural = false;
          const replace = (t: Task, patch: Partial<Task>): void => {
            const i = tasks.indexOf(t);
            tasks[i] = { ...t, ...patch };
            for (const k of Object.keys(patch)) if ((patch as Record<string, unknown>)[k] === undefined) delete tasks[i]![k];
            ids.add(t.id);
          };
          if (c.kind === 'time') {
            now = new Date(now.getTime() + c.hours * HOUR);
            set.advance(g, now);
            expectEqual();
            continue;
          }
          if (c.kind === 'status') replace(pick(c.n), { status: c.status });
          if (c.kind === 'pause') replace(pick(c.n), { paused: pick(c.n).paused ? undefined : true });
          if (c.kind === 'gate') replace(pick(c.n), { ready_after: new Date(now.getTime() + c.hours * HOUR).toISOString() });
          if (c.kind === 'add' && !tasks.some((t) => t.id === c.id)) {
            const deps = [...new Set(c.deps.map((d) => pick(d).id))];
            tasks.push(task(c.id, deps.length ? { after: deps } : {}));
            ids.add(c.id);
            structural = true;
          }
          if (c.kind === 'edge') {
            const t = pick(c.n);
            const d = pick(c.m).id;
            if (!(t.after ?? []).includes(d)) {
              replace(t, { after: [...(t.after ?? []), d] });
              structural = true;
            }
          }
          if (c.kind === 'loop') {
            const t = pick(c.n);
            replace(t, { cycle_config: t.cycle_config ? undefined : { max_iterations: 3 } });
            structural = true;
          }
          if (c.kind === 'eval') {
            const src = pick(c.n);
            if (src.id.startsWith('.')) continue;
            const id = `.evaluate-${src.id}`;
            const existing = tasks.find((t) => t.id === id);
            if (existing) replace(existing, { status: c.status });
            else {
              tasks.push(task(id, { status: c.status, after: [src.id] }));
              ids.add(id);
              structural = true;
            }
          }
          g = view(tasks);
          set.update(g, { reload: false, ids, structural }, now);
          expectEqual();
        }
        // The next gate it reports is a gate that really opens then (or none is pending).
        const next = set.nextGateMs();
        if (next !== undefined) {
          expect(next).toBeGreaterThan(now.getTime());
          set.advance(g, new Date(next));
          expect(set.tasks(g).map((t) => t.id)).toEqual(readyTasks(g, new Date(next)).map((t) => t.id));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('configuring a cycle on one member re-asks the whole cycle (the header is not a neighbour of that member)', () => {
    // x → y → z → x (y waits on x, z on y, x on z). Configured, x is the header and its wait on
    // z is the back-edge: x becomes ready although neither x nor a dependent of y changed.
    const tasks = [task('x', { after: ['z'] }), task('y', { after: ['x'] }), task('z', { after: ['y'] })];
    let g = view(tasks);
    const set = new ReadySet(g, NOW);
    expect(set.tasks(g)).toEqual([]);
    tasks[1] = { ...tasks[1]!, cycle_config: { max_iterations: 3 } };
    g = view(tasks);
    set.update(g, { reload: false, ids: new Set(['y']), structural: true }, NOW);
    expect(set.tasks(g).map((t) => t.id)).toEqual(readyTasks(g, NOW).map((t) => t.id));
    expect(set.has('x')).toBe(true);
  });
});
