import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph.js';
import { byDispatchOrder, dependencySatisfied, describeBlocker, isReady, readiness, readyTasks, type Blocker } from '../../src/core/readiness.js';
import { rootCauses } from '../../src/core/blockers.js';
import { STATUSES, type Status } from '../../src/core/task.js';
import { dep, graph, HOUR, iso, NOW, task } from './fixtures.js';

const readyIds = (g: Graph): string[] => readyTasks(g, NOW).map((t) => t.id);
const blockersOf = (g: Graph, id: string): Blocker[] => readiness(g, g.get(id)!, NOW).blockers;

describe('readiness: status', () => {
  it.each(STATUSES.map((s) => [s]))('status %s', (status: Status) => {
    const g = graph(task('a', { status }));
    const expected = status === 'open' || status === 'incomplete';
    expect(isReady(g, g.get('a')!, NOW)).toBe(expected);
    if (!expected) expect(blockersOf(g, 'a')).toEqual([{ kind: 'status', status }]);
  });

  it('an open task with no dependencies is ready with no blockers', () => {
    const g = graph(task('a'));
    expect(readiness(g, g.get('a')!, NOW)).toEqual({ ready: true, blockers: [] });
  });
});

describe('readiness: paused', () => {
  it('a paused task is not ready', () => {
    const g = graph(task('a', { paused: true }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(false);
    expect(blockersOf(g, 'a')).toEqual([{ kind: 'paused' }]);
  });
  it('paused: false is ready', () => {
    const g = graph(task('a', { paused: false }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(true);
  });
});

describe('readiness: time gates', () => {
  it.each(['not_before', 'ready_after'] as const)('%s in the future blocks', (field) => {
    const until = iso(HOUR);
    const g = graph(task('a', { [field]: until }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(false);
    expect(blockersOf(g, 'a')).toEqual([field === 'not_before' ? { kind: 'not-before', until } : { kind: 'ready-after', until }]);
  });
  it.each(['not_before', 'ready_after'] as const)('%s in the past does not block', (field) => {
    const g = graph(task('a', { [field]: iso(-HOUR) }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(true);
  });
  it.each(['not_before', 'ready_after'] as const)('%s exactly now does not block', (field) => {
    const g = graph(task('a', { [field]: iso(0) }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(true);
  });
  it('a timestamp with a non-UTC offset is compared as an instant', () => {
    // 13:30+02:00 = 11:30Z, before NOW (12:00Z)
    const g = graph(task('a', { not_before: '2026-03-20T13:30:00+02:00' }), task('b', { not_before: '2026-03-20T12:30:00+00:00' }));
    expect(isReady(g, g.get('a')!, NOW)).toBe(true);
    expect(isReady(g, g.get('b')!, NOW)).toBe(false);
  });
  it.each(['not_before', 'ready_after'] as const)('an unreadable %s blocks visibly', (field) => {
    for (const value of ['tomorrow', '2026-03-20T09:00:00', '2026-13-01T00:00:00Z', '']) {
      const g = graph(task('a', { [field]: value }));
      if (value === '') {
        // empty = field absent
        expect(isReady(g, g.get('a')!, NOW)).toBe(true);
        continue;
      }
      expect(isReady(g, g.get('a')!, NOW)).toBe(false);
      expect(blockersOf(g, 'a')).toEqual([{ kind: 'bad-timestamp', field, value }]);
    }
  });
  it('an impossible calendar date blocks instead of rolling over', () => {
    const g = graph(task('a', { not_before: '2026-02-30T00:00:00Z' }));
    expect(blockersOf(g, 'a')).toEqual([{ kind: 'bad-timestamp', field: 'not_before', value: '2026-02-30T00:00:00Z' }]);
  });
});

describe('readiness: dependencies', () => {
  it.each([
    ['done', true],
    ['abandoned', true],
    ['failed', false],
    ['open', false],
    ['in-progress', false],
    ['pending-eval', false],
    ['failed-pending-eval', false],
    ['pending-validation', false],
    ['incomplete', false],
    ['waiting', false],
    ['blocked', false],
  ] as Array<[Status, boolean]>)('a %s dependency satisfies: %s', (status, satisfied) => {
    const g = graph(task('a', { status }), dep('b', ['a']));
    expect(isReady(g, g.get('b')!, NOW)).toBe(satisfied);
    if (!satisfied) expect(blockersOf(g, 'b')).toEqual([{ kind: 'dependency', id: 'a', status }]);
  });

  it('a missing dependency blocks', () => {
    const g = graph(dep('b', ['ghost']));
    expect(isReady(g, g.get('b')!, NOW)).toBe(false);
    expect(blockersOf(g, 'b')).toEqual([{ kind: 'dependency', id: 'ghost', status: 'missing' }]);
  });

  it('lists every unmet dependency when full, only the first otherwise', () => {
    const g = graph(task('x'), task('y', { status: 'failed' }), task('z', { status: 'done' }), dep('b', ['x', 'y', 'z', 'ghost']));
    const full = readiness(g, g.get('b')!, NOW);
    expect(full.blockers.map((b) => (b.kind === 'dependency' ? b.id : b.kind))).toEqual(['x', 'y', 'ghost']);
    const fast = readiness(g, g.get('b')!, NOW, false);
    expect(fast.ready).toBe(false);
    expect(fast.blockers).toHaveLength(1);
  });

  it('collects status, paused, time and dependency blockers together', () => {
    const g = graph(task('x'), dep('b', ['x'], { status: 'blocked', paused: true, not_before: iso(HOUR) }));
    expect(blockersOf(g, 'b').map((b) => b.kind)).toEqual(['status', 'paused', 'not-before', 'dependency']);
  });

  it('diamond: D is ready only when both B and C are done', () => {
    const mk = (b: Status, c: Status): Graph =>
      graph(task('a', { status: 'done' }), dep('b', ['a'], { status: b }), dep('c', ['a'], { status: c }), dep('d', ['b', 'c']));
    expect(readyIds(mk('open', 'open'))).toEqual(['b', 'c']);
    expect(readyIds(mk('done', 'open'))).toEqual(['c']);
    expect(readyIds(mk('open', 'done'))).toEqual(['b']);
    expect(readyIds(mk('done', 'done'))).toEqual(['d']);
    expect(readyIds(mk('done', 'abandoned'))).toEqual(['d']);
    expect(readyIds(mk('done', 'failed'))).toEqual([]);
    // A open: only A is ready
    const g = graph(task('a'), dep('b', ['a']), dep('c', ['a']), dep('d', ['b', 'c']));
    expect(readyIds(g)).toEqual(['a']);
  });

  it('readyTasks keeps file order', () => {
    const g = graph(task('z'), task('a'), task('m'));
    expect(readyIds(g)).toEqual(['z', 'a', 'm']);
  });
});

describe('readiness: system tasks and the eval gate', () => {
  it('dependencySatisfied: dot dependents accept pending-eval and failed-pending-eval', () => {
    for (const status of ['pending-eval', 'failed-pending-eval'] as Status[]) {
      expect(dependencySatisfied(task('.evaluate-x'), task('x', { status }))).toBe(true);
      expect(dependencySatisfied(task('y'), task('x', { status }))).toBe(false);
    }
    expect(dependencySatisfied(task('.evaluate-x'), task('x', { status: 'failed' }))).toBe(false);
    expect(dependencySatisfied(task('.evaluate-x'), undefined)).toBe(false);
  });

  it('a dot-prefixed dependent is ready on a pending-eval dependency', () => {
    const g = graph(task('x', { status: 'pending-eval' }), dep('.evaluate-x', ['x']), dep('y', ['x']));
    expect(readyIds(g)).toEqual(['.evaluate-x']);
    expect(blockersOf(g, 'y')).toEqual([{ kind: 'dependency', id: 'x', status: 'pending-eval' }]);
  });

  it.each(['open', 'in-progress', 'blocked', 'waiting'] as Status[])('eval gate: .evaluate-X %s blocks non-system dependents of done X', (status) => {
    const g = graph(task('x', { status: 'done' }), task('.evaluate-x', { status }), dep('y', ['x']), dep('.flip-x', ['x']));
    expect(isReady(g, g.get('y')!, NOW)).toBe(false);
    expect(blockersOf(g, 'y')).toEqual([{ kind: 'evaluation', id: 'x', evalId: '.evaluate-x', status }]);
    // system dependents are never gated
    expect(isReady(g, g.get('.flip-x')!, NOW)).toBe(true);
  });

  it.each(['done', 'failed', 'abandoned'] as Status[])('eval gate: a terminal (%s) evaluation releases dependents', (status) => {
    const g = graph(task('x', { status: 'done' }), task('.evaluate-x', { status }), dep('y', ['x']));
    expect(isReady(g, g.get('y')!, NOW)).toBe(true);
  });

  it('eval gate does not apply to a dot-prefixed dependency', () => {
    const g = graph(task('.sys', { status: 'done' }), task('.evaluate-.sys'), dep('y', ['.sys']));
    expect(isReady(g, g.get('y')!, NOW)).toBe(true);
  });

  it('eval gate applies to an abandoned dependency being evaluated too', () => {
    const g = graph(task('x', { status: 'abandoned' }), task('.evaluate-x'), dep('y', ['x']));
    expect(isReady(g, g.get('y')!, NOW)).toBe(false);
  });
});

describe('readiness: cycles', () => {
  it('configured cycle: back-edges are ignored, the header is ready', () => {
    // a ↔ b, a entered from outside (ext), a has cycle_config
    const g = graph(task('ext', { status: 'done' }), dep('a', ['ext', 'b'], { cycle_config: { max_iterations: 3 } }), dep('b', ['a']));
    expect(readyIds(g)).toEqual(['a']);
    expect(blockersOf(g, 'b')).toEqual([{ kind: 'dependency', id: 'a', status: 'open' }]);
  });

  it('configured cycle: the config may sit on a non-header member', () => {
    const g = graph(task('ext', { status: 'done' }), dep('a', ['ext', 'b']), dep('b', ['a'], { cycle_config: { max_iterations: 2 } }));
    expect(readyIds(g)).toEqual(['a']);
  });

  it('configured cycle without an outside entry: the smallest id is the header', () => {
    const g = graph(dep('q', ['p'], { cycle_config: { max_iterations: 2 } }), dep('p', ['q']));
    expect(readyIds(g)).toEqual(['p']);
  });

  it('configured self-loop is ready', () => {
    const g = graph(dep('a', ['a'], { cycle_config: { max_iterations: 2 } }));
    expect(readyIds(g)).toEqual(['a']);
  });

  it('unconfigured cycle blocks every member with a cycle blocker', () => {
    const g = graph(dep('a', ['b']), dep('b', ['c']), dep('c', ['a']));
    expect(readyIds(g)).toEqual([]);
    for (const id of ['a', 'b', 'c']) expect(blockersOf(g, id)).toEqual([{ kind: 'cycle', members: ['a', 'b', 'c'] }]);
  });

  it('unconfigured self-loop blocks with a cycle blocker', () => {
    const g = graph(dep('a', ['a']));
    expect(blockersOf(g, 'a')).toEqual([{ kind: 'cycle', members: ['a'] }]);
  });

  it('a cycle blocker is reported once even with several in-cycle deps, plus outside deps separately', () => {
    const g = graph(task('ext'), dep('a', ['b', 'c', 'ext']), dep('b', ['a']), dep('c', ['a']));
    expect(blockersOf(g, 'a')).toEqual([
      { kind: 'cycle', members: ['a', 'b', 'c'] },
      { kind: 'dependency', id: 'ext', status: 'open' },
    ]);
  });

  it('a task downstream of an unconfigured cycle is blocked by a plain dependency', () => {
    const g = graph(dep('a', ['b']), dep('b', ['a']), dep('z', ['a']));
    expect(blockersOf(g, 'z')).toEqual([{ kind: 'dependency', id: 'a', status: 'open' }]);
  });
});

describe('byDispatchOrder', () => {
  it('higher priority first, then fewer dispatches, then file order', () => {
    const ts = [
      task('a', { priority: 5 }),
      task('b', { priority: 20, dispatch_count: 2 }),
      task('c', { priority: 20 }),
      task('d', { priority: 10 }),
      task('e', { priority: 20 }),
    ];
    expect(byDispatchOrder(ts).map((t) => t.id)).toEqual(['c', 'e', 'b', 'd', 'a']);
    // input is not mutated
    expect(ts.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('describeBlocker', () => {
  it('renders every kind', () => {
    expect(describeBlocker({ kind: 'status', status: 'failed' })).toBe('status is failed');
    expect(describeBlocker({ kind: 'paused' })).toContain('paused');
    expect(describeBlocker({ kind: 'not-before', until: 'T' })).toBe('not before T');
    expect(describeBlocker({ kind: 'ready-after', until: 'T' })).toContain('T');
    expect(describeBlocker({ kind: 'bad-timestamp', field: 'not_before', value: 'xx' })).toContain("'xx'");
    expect(describeBlocker({ kind: 'dependency', id: 'x', status: 'missing' })).toBe('x (missing)');
    expect(describeBlocker({ kind: 'dependency', id: 'x', status: 'failed' })).toBe('x (failed)');
    expect(describeBlocker({ kind: 'evaluation', id: 'x', evalId: '.evaluate-x', status: 'open' })).toContain('.evaluate-x');
    expect(describeBlocker({ kind: 'cycle', members: ['a', 'b'] })).toContain('a → b');
  });
});

describe('rootCauses', () => {
  it('follows open dependencies down to the tasks that need action', () => {
    const g = graph(
      task('failed-one', { status: 'failed' }),
      dep('mid', ['failed-one']),
      task('paused-one', { paused: true }),
      dep('top', ['mid', 'paused-one', 'ghost']),
    );
    const rc = rootCauses(g, 'top', NOW);
    expect(rc).toEqual([
      { id: 'failed-one', path: ['top', 'mid', 'failed-one'], reasons: [{ kind: 'status', status: 'failed' }] },
      { id: 'paused-one', path: ['top', 'paused-one'], reasons: [{ kind: 'paused' }] },
      { id: 'ghost', path: ['top', 'ghost'], reasons: [{ kind: 'dependency', id: 'ghost', status: 'missing' }] },
    ]);
  });
  it('is empty for a ready task and for an unknown id', () => {
    const g = graph(task('a'));
    expect(rootCauses(g, 'a', NOW)).toEqual([]);
    expect(rootCauses(g, 'nope', NOW)).toEqual([]);
  });
  it('an in-progress dependency is itself the root cause', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'bob' }), dep('y', ['x']));
    expect(rootCauses(g, 'y', NOW)).toEqual([{ id: 'x', path: ['y', 'x'], reasons: [{ kind: 'status', status: 'in-progress' }] }]);
  });
  it('terminates on an unconfigured cycle', () => {
    const g = graph(dep('a', ['b']), dep('b', ['a']), dep('top', ['a']));
    const rc = rootCauses(g, 'top', NOW);
    expect(rc.length).toBeGreaterThan(0);
    expect(rc.some((r) => r.reasons.some((b) => b.kind === 'cycle'))).toBe(true);
  });
});
