import { describe, expect, it } from 'vitest';
import { analyzeCycles, edgeKey, Graph, pathBetween } from '../../src/core/graph.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planDone } from '../../src/core/plans/finish.js';
import { planClaimNext } from '../../src/core/plans/claim.js';
import { isReady, readyTasks } from '../../src/core/readiness.js';
import type { CycleConfig, Task } from '../../src/core/task.js';
import { apply, dep, graph, HOUR, iso, MIN, NOW, NOW_ISO, task, who, written } from './fixtures.js';

describe('Graph basics', () => {
  it('keeps file order, get/has, dependents in file order without duplicates', () => {
    const g = graph(task('b'), dep('c', ['b', 'b']), dep('a', ['b']), dep('d', ['ghost']));
    expect(g.all().map((t) => t.id)).toEqual(['b', 'c', 'a', 'd']);
    expect(g.has('a')).toBe(true);
    expect(g.get('zz')).toBeUndefined();
    expect(g.dependents('b')).toEqual(['c', 'a']);
    expect(g.dependents('ghost')).toEqual(['d']);
    expect(g.dependents('a')).toEqual([]);
  });

  it('a later duplicate id replaces the earlier one', () => {
    const g = new Graph([task('a', { title: 'one' }), task('a', { title: 'two' })]);
    expect(g.all()).toHaveLength(1);
    expect(g.get('a')!.title).toBe('two');
  });
});

describe('Graph.closure', () => {
  // a → b → c ; a → d ; e → c ; .evaluate-b after b ; x isolated
  const g = graph(task('a'), dep('b', ['a']), dep('c', ['b', 'e']), dep('d', ['a']), task('e'), dep('.evaluate-b', ['b']), dep('f', ['.evaluate-b']), task('x'));
  const sorted = (xs: string[]): string[] => [...xs].sort();

  it('forward follows dependents', () => {
    expect(sorted(g.closure(['a'], 'forward'))).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted(g.closure(['e'], 'forward'))).toEqual(['c', 'e']);
  });
  it('backward follows dependencies', () => {
    expect(sorted(g.closure(['c'], 'backward'))).toEqual(['a', 'b', 'c', 'e']);
  });
  it('both follows either direction', () => {
    expect(sorted(g.closure(['e'], 'both'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(g.closure(['x'], 'both')).toEqual(['x']);
  });
  it('never enters system tasks (nor what lies only behind them) and drops unknown or system seeds', () => {
    expect(g.closure(['b'], 'forward')).not.toContain('.evaluate-b');
    expect(g.closure(['b'], 'forward')).not.toContain('f');
    expect(g.closure(['.evaluate-b', 'ghost'], 'both')).toEqual([]);
  });
  it('seeds come first', () => {
    expect(g.closure(['d', 'a'], 'forward').slice(0, 2)).toEqual(['d', 'a']);
  });
  it('terminates on cycles', () => {
    const c = graph(dep('a', ['b']), dep('b', ['a']));
    expect(c.closure(['a'], 'forward').sort()).toEqual(['a', 'b']);
  });
});

describe('analyzeCycles', () => {
  it('a DAG has no cycles', () => {
    const a = analyzeCycles(graph(task('a'), dep('b', ['a']), dep('c', ['a', 'b'])));
    expect(a.cycles).toEqual([]);
    expect(a.backEdges.size).toBe(0);
  });

  it('finds each SCC, its header and config owner', () => {
    const g = graph(
      task('ext', { status: 'done' }),
      dep('p', ['ext', 'q']),
      dep('q', ['p'], { cycle_config: { max_iterations: 2 } }),
      dep('x', ['y']),
      dep('y', ['x']),
      dep('self', ['self']),
    );
    const a = g.cycleAnalysis();
    expect(a.cycles.map((c) => c.members).sort()).toEqual([['p', 'q'], ['self'], ['x', 'y']]);
    expect(a.cycleOf.get('q')).toMatchObject({ members: ['p', 'q'], header: 'p', configOwner: 'q' });
    expect(a.cycleOf.get('x')).toMatchObject({ header: 'x', configOwner: undefined });
    expect(a.cycleOf.get('ext')).toBeUndefined();
    // the back-edge of the configured cycle is p waiting on q; unconfigured cycles get none
    expect([...a.backEdges]).toEqual([edgeKey('p', 'q')]);
  });

  it('the config owner is the first configured member by sorted id', () => {
    const g = graph(dep('b', ['a'], { cycle_config: { max_iterations: 1 } }), dep('a', ['c']), dep('c', ['b'], { cycle_config: { max_iterations: 9 } }));
    expect(g.cycleAnalysis().cycleOf.get('a')!.configOwner).toBe('b');
  });

  it('a configured 3-cycle has exactly one back-edge and one ready member', () => {
    const g = graph(dep('a', ['c'], { cycle_config: { max_iterations: 2 } }), dep('b', ['a']), dep('c', ['b']));
    expect(g.cycleAnalysis().backEdges).toEqual(new Set([edgeKey('a', 'c')]));
    expect(readyTasks(g, NOW).map((t) => t.id)).toEqual(['a']);
  });

  it('nested cycles in one SCC: all back-edges to the DFS stack are found', () => {
    // a → b → c → a and b → a  (SCC {a,b,c})
    const g = graph(dep('a', ['c', 'b'], { cycle_config: { max_iterations: 2 } }), dep('b', ['a']), dep('c', ['b']));
    const be = g.cycleAnalysis().backEdges;
    expect(be.has(edgeKey('a', 'c'))).toBe(true);
    expect(be.has(edgeKey('a', 'b'))).toBe(true);
    expect(readyTasks(g, NOW).map((t) => t.id)).toEqual(['a']);
  });

  it('missing deps are not cycle members', () => {
    const a = analyzeCycles(graph(dep('a', ['ghost'])));
    expect(a.cycles).toEqual([]);
  });

  it('handles a 20k-task chain without recursion limits', () => {
    const tasks: Task[] = [task('n0')];
    for (let i = 1; i < 20_000; i++) tasks.push(dep(`n${i}`, [`n${i - 1}`]));
    tasks[0] = dep('n0', ['n19999']);
    const a = analyzeCycles(new Graph(tasks));
    expect(a.cycles).toHaveLength(1);
    expect(a.cycles[0]!.members).toHaveLength(20_000);
  });
});

describe('pathBetween', () => {
  const g = graph(task('a'), dep('b', ['a']), dep('c', ['b']), task('z'));
  it('returns the dependents path from → to', () => {
    expect(pathBetween(g, 'a', 'c')).toEqual(['a', 'b', 'c']);
    expect(pathBetween(g, 'a', 'a')).toEqual(['a']);
  });
  it('undefined when unreachable', () => {
    expect(pathBetween(g, 'c', 'a')).toBeUndefined();
    expect(pathBetween(g, 'a', 'z')).toBeUndefined();
  });
});

/** ext (done) → a ↔ b ; a is the header (entered from ext). */
function loop(config: CycleConfig, extra: Partial<Task> = {}): Graph {
  return graph(task('ext', { status: 'done' }), dep('a', ['ext', 'b'], { cycle_config: config, ...extra }), dep('b', ['a']));
}

/** Runs the loop: claim-next + done until nothing is ready; returns the ids completed in order. */
function run(g0: Graph, opts: { convergeOn?: number } = {}): { g: Graph; order: string[] } {
  let g = g0;
  const order: string[] = [];
  for (let step = 0; step < 50; step++) {
    const next = planClaimNext(g, who({ actor: 'agent-1' }));
    if (!next.result) break;
    g = apply(g, next.writes);
    const id = next.result.task.id;
    const converged = opts.convergeOn !== undefined && order.length + 1 === opts.convergeOn;
    g = apply(g, planDone(g, id, who(), { converged }).writes);
    order.push(id);
  }
  return { g, order };
}

describe('loops (configured cycles)', () => {
  it('max_iterations N ⇒ exactly N runs of each member, in header-first order', () => {
    const { g, order } = run(loop({ max_iterations: 3 }));
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(g.get('a')).toMatchObject({ status: 'done', loop_iteration: 2 });
    expect(g.get('b')).toMatchObject({ status: 'done', loop_iteration: 2 });
  });

  it('max_iterations 1 ⇒ one run; 0 ⇒ unlimited', () => {
    expect(run(loop({ max_iterations: 1 })).order).toEqual(['a', 'b']);
    expect(run(loop({ max_iterations: 0 })).order).toHaveLength(50);
  });

  it('all members done → re-opened with loop_iteration+1, claim and timestamps cleared', () => {
    const g = graph(
      task('ext', { status: 'done' }),
      dep('a', ['ext', 'b'], { status: 'done', cycle_config: { max_iterations: 5 }, loop_iteration: 1, started_at: iso(-HOUR), completed_at: iso(-MIN) }),
      dep('b', ['a'], { status: 'in-progress', assigned: 'agent-3', claim_epoch: 2, loop_iteration: 1, started_at: iso(-MIN) }),
    );
    const p = planDone(g, 'b', who());
    expect(p.result.reopened).toEqual(['a', 'b']);
    expect(p.result.task.status).toBe('done'); // the result is the completed copy
    for (const id of ['a', 'b']) {
      const t = written(p.writes, id);
      expect(t.status).toBe('open');
      expect(t.loop_iteration).toBe(2);
      for (const f of ['assigned', 'started_at', 'completed_at', 'ready_after']) expect(t[f]).toBeUndefined();
      expect(t.log![t.log!.length - 1]!.message).toBe('Re-activated by cycle iteration (iteration 2/5)');
    }
    expect(p.writes.map((w) => w.id).sort()).toEqual(['a', 'b']); // one write per task
    expect(p.ops[0]!.detail).toEqual({ status: 'done', reopened: ['a', 'b'] });
  });

  it('not all members done → no re-open', () => {
    const p = planDone(loop({ max_iterations: 3 }), 'a', who());
    expect(p.result.reopened).toEqual([]);
    expect(p.writes).toHaveLength(1);
  });

  it('--converged stops the loop', () => {
    const { g, order } = run(loop({ max_iterations: 10 }), { convergeOn: 4 });
    expect(order).toEqual(['a', 'b', 'a', 'b']);
    expect(g.get('b')!.tags).toEqual(['converged']);
    expect(g.get('a')!.status).toBe('done');
  });

  it('no_converge ignores the converged tag', () => {
    const { order } = run(loop({ max_iterations: 3, no_converge: true }), { convergeOn: 2 });
    expect(order).toHaveLength(6);
  });

  it('delay sets ready_after on the config owner only', () => {
    let g = graph(task('ext', { status: 'done' }), dep('a', ['ext', 'b']), dep('b', ['a'], { cycle_config: { max_iterations: 3, delay: '30m' } }));
    g = apply(g, planDone(g, 'a', who()).writes);
    const p = planDone(g, 'b', who());
    expect(p.result.reopened).toEqual(['a', 'b']);
    expect(written(p.writes, 'b').ready_after).toBe(iso(30 * MIN));
    expect(written(p.writes, 'a').ready_after).toBeUndefined();
    const g2 = apply(g, p.writes);
    // the header a is ready now; b still waits on a and its cool-down
    expect(readyTasks(g2, NOW).map((t) => t.id)).toEqual(['a']);
    expect(isReady(g2, g2.get('b')!, new Date(NOW.getTime() + HOUR))).toBe(false);
  });

  it('delay on the header holds the next iteration until it elapses', () => {
    let g = loop({ max_iterations: 3, delay: '1h' });
    g = apply(g, planDone(g, 'a', who()).writes);
    g = apply(g, planDone(g, 'b', who()).writes);
    expect(g.get('a')!.ready_after).toBe(iso(HOUR));
    expect(readyTasks(g, NOW)).toEqual([]);
    expect(readyTasks(g, new Date(NOW.getTime() + HOUR)).map((t) => t.id)).toEqual(['a']);
  });

  it('an abandoned member counts as finished and stays abandoned', () => {
    const g = graph(dep('a', ['c'], { status: 'in-progress', cycle_config: { max_iterations: 3 } }), dep('b', ['a'], { status: 'abandoned' }), dep('c', ['b'], { status: 'done' }));
    const p = planDone(g, 'a', who());
    expect(p.result.reopened).toEqual(['a', 'c']);
    expect(p.writes.find((w) => w.id === 'b')).toBeUndefined();
  });

  it('a pending-eval member holds the iteration', () => {
    const g = graph(dep('a', ['b'], { status: 'in-progress', cycle_config: { max_iterations: 3 } }), dep('b', ['a'], { status: 'pending-eval' }));
    expect(planDone(g, 'a', who()).result.reopened).toEqual([]);
  });

  it('a lone task with cycle_config loops on itself', () => {
    let g = graph(task('solo', { cycle_config: { max_iterations: 2 } }));
    const p = planDone(g, 'solo', who());
    expect(p.result.reopened).toEqual(['solo']);
    g = apply(g, p.writes);
    expect(g.get('solo')).toMatchObject({ status: 'open', loop_iteration: 1 });
    const p2 = planDone(g, 'solo', who());
    expect(p2.result.reopened).toEqual([]);
    expect(p2.result.task.status).toBe('done');
  });

  it('guard IterationLessThan stops when the new iteration reaches n', () => {
    expect(run(loop({ max_iterations: 10, guard: { IterationLessThan: 2 } })).order).toEqual(['a', 'b', 'a', 'b']);
  });

  it('guard TaskStatus must match', () => {
    const mk = (status: 'open' | 'done'): Graph =>
      graph(
        task('flag', { status, paused: true }),
        task('ext', { status: 'done' }),
        dep('a', ['ext', 'b'], { cycle_config: { max_iterations: 10, guard: { TaskStatus: { task: 'flag', status: 'open' } } } }),
        dep('b', ['a']),
      );
    expect(run(mk('done')).order).toEqual(['a', 'b']);
    expect(run(mk('open')).order).toHaveLength(20);
  });

  it('guard "Always" allows', () => {
    expect(run(loop({ max_iterations: 2, guard: 'Always' })).order).toHaveLength(4);
  });

  it('done of a member refuses nothing on its back-edge', () => {
    // a's wait on b is the back-edge: a may be done while b is open
    const p = planDone(loop({ max_iterations: 2 }), 'a', who());
    expect(p.result.task.status).toBe('done');
  });

  it('a loop made with wg add --max-iterations iterates', () => {
    let g = graph(task('ext', { status: 'done' }), dep('write', ['ext']));
    g = apply(g, planAdd(g, { title: 'Review', id: 'review', after: ['write'], cycle: { max_iterations: 2 } }, who()).writes);
    const { order, g: end } = run(g);
    expect(order).toEqual(['write', 'review', 'write', 'review']);
    expect(end.get('review')).toMatchObject({ status: 'done', loop_iteration: 1 });
    expect(end.get('review')!.log!.some((l) => l.timestamp === NOW_ISO && l.message.startsWith('Re-activated'))).toBe(true);
  });
});
