import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { evaluationWork, gateEvaluation, planAssign, planResolveEvaluations, planScaffoldEvaluations, wantsEvaluation, type GateEvaluation } from '../../src/core/plans/evaluation.js';
import { planDone } from '../../src/core/plans/finish.js';
import { readiness } from '../../src/core/readiness.js';
import { apply, dep, graph, iso, MIN, NOW, task, wgError, who, written } from './fixtures.js';

const svc = who({ actor: 'service' });
const opts = (evals: Record<string, GateEvaluation[]> = {}, more: { threshold?: number; maxRescues?: number } = {}) => ({
  threshold: more.threshold ?? 0.7,
  maxRescues: more.maxRescues ?? 3,
  evaluationsOf: (id: string) => evals[id] ?? [],
});
const ev = (score: number, at = iso(1000), source = 'llm', notes?: string): GateEvaluation => ({ score, source, timestamp: at, ...(notes ? { notes } : {}) });

describe('scaffolding .evaluate-X (agency.auto_evaluate)', () => {
  it('adds one per open non-system task: after [X], tags evaluation/agency, exec wg evaluate run X; X.before mirrors it', () => {
    const g = graph(task('a', { priority: 50 }), dep('b', ['a']), task('.internal'), task('opt-out', { tags: ['skip-eval'] }), task('meta', { tags: ['evaluation'] }), task('finished', { status: 'done' }), task('gone', { status: 'abandoned' }));
    const p = planScaffoldEvaluations(g, svc);
    expect(p.result.created).toEqual(['.evaluate-a', '.evaluate-b']);
    const e = written(p.writes, '.evaluate-a');
    expect(e).toMatchObject({ status: 'open', after: ['a'], tags: ['evaluation', 'agency'], exec: 'wg evaluate run a', priority: 50, created_at: NOW.toISOString() });
    expect(written(p.writes, 'a').before).toEqual(['.evaluate-a']);
    expect(written(p.writes, 'b').before).toEqual(['.evaluate-b']);
    // Idempotent: a second pass finds nothing to do.
    const g2 = apply(g, p.writes);
    expect(planScaffoldEvaluations(g2, svc).writes).toEqual([]);
    expect(wantsEvaluation(g2, g2.get('a')!)).toBe(false);
  });

  it('with the companion, done gives pending-eval; the companion becomes ready, dependents wait for it', () => {
    let g = graph(task('a', { status: 'in-progress', assigned: 'alice' }), dep('b', ['a']));
    g = apply(g, planScaffoldEvaluations(g, svc).writes);
    expect(readiness(g, g.get('.evaluate-a')!, NOW).ready).toBe(false);
    g = apply(g, planDone(g, 'a', who()).writes);
    expect(g.get('a')!.status).toBe('pending-eval');
    expect(readiness(g, g.get('.evaluate-a')!, NOW).ready).toBe(true);
    expect(readiness(g, g.get('b')!, NOW).ready).toBe(false);
    // The evaluation finishes → the service promotes a → b is ready.
    g = apply(g, planDone(g, '.evaluate-a', who()).writes);
    const p = planResolveEvaluations(g, svc, opts({ a: [ev(0.9)] }));
    expect(p.result.promoted).toEqual([{ id: 'a', score: 0.9 }]);
    g = apply(g, p.writes);
    expect(g.get('a')!.status).toBe('done');
    expect(g.get('a')!.completed_at).toBeDefined();
    expect(g.get('a')!.log!.at(-1)!.message).toBe('Evaluation finished (score 0.90): marked done');
    expect(readiness(g, g.get('b')!, NOW).ready).toBe(true);
  });
});

describe('promoting pending-eval → done', () => {
  const pending = (patch = {}) => task('a', { status: 'pending-eval', completed_at: iso(0), ...patch });

  it('waits while the companion runs; promotes when it is failed, abandoned or missing', () => {
    expect(planResolveEvaluations(graph(pending(), dep('.evaluate-a', ['a'], { status: 'in-progress' })), svc, opts()).writes).toEqual([]);
    expect(evaluationWork(graph(pending(), dep('.evaluate-a', ['a']))).pending).toEqual([]);
    for (const status of ['failed', 'abandoned'] as const) {
      const p = planResolveEvaluations(graph(pending(), dep('.evaluate-a', ['a'], { status })), svc, opts());
      expect(written(p.writes, 'a').status).toBe('done');
      expect(written(p.writes, 'a').log!.at(-1)!.message).toBe(`Evaluation .evaluate-a is ${status} without a score: marked done`);
    }
    const missing = planResolveEvaluations(graph(pending()), svc, opts());
    expect(written(missing.writes, 'a').status).toBe('done');
    expect(missing.ops[0]!.op).toBe('eval_promote');
  });

  it('a low score does not hold back a task without the eval-gate tag', () => {
    const p = planResolveEvaluations(graph(pending(), dep('.evaluate-a', ['a'], { status: 'done' })), svc, opts({ a: [ev(0.1)] }));
    expect(written(p.writes, 'a').status).toBe('done');
  });

  it('leaves a task whose evaluations could not be read (skip)', () => {
    const p = planResolveEvaluations(graph(pending()), svc, { ...opts(), skip: new Set(['a']) });
    expect(p.writes).toEqual([]);
  });
});

describe('the eval gate (tag eval-gate)', () => {
  const gated = (patch = {}) => task('a', { status: 'pending-eval', tags: ['eval-gate'], assigned: 'agent-3', claim_epoch: 2, completed_at: iso(0), started_at: iso(-MIN), ...patch });
  const evalDone = dep('.evaluate-a', ['a'], { status: 'done', assigned: 'agent-4', claim_epoch: 1, completed_at: iso(2000) });

  it('below the threshold: re-opens the task (claim released, rescue_count+1, notes logged) and its companion', () => {
    const p = planResolveEvaluations(graph(gated(), evalDone), svc, opts({ a: [ev(0.4, iso(1000), 'llm', 'tests missing')] }));
    expect(p.result.rescued).toEqual([{ id: 'a', score: 0.4, rescue: 1 }]);
    const a = written(p.writes, 'a');
    expect(a).toMatchObject({ status: 'open', rescue_count: 1, claim_epoch: 3 });
    expect(a.assigned).toBeUndefined();
    expect(a.completed_at).toBeUndefined();
    expect(a.log!.at(-1)!.message).toBe('Evaluation scored 0.40, below eval_gate_threshold 0.70: re-opened for another attempt (rescue 1/3) — evaluator notes: tests missing');
    const e = written(p.writes, '.evaluate-a');
    expect(e).toMatchObject({ status: 'open', claim_epoch: 2 });
    expect(e.assigned).toBeUndefined();
    // The next done is pending-eval again (the companion is open).
    const g = apply(graph(gated(), evalDone), p.writes);
    expect(planDone(g, 'a', who()).result.task.status).toBe('pending-eval');
  });

  it('at or above the threshold: done', () => {
    const p = planResolveEvaluations(graph(gated(), evalDone), svc, opts({ a: [ev(0.7)] }));
    expect(written(p.writes, 'a').status).toBe('done');
  });

  it('after max_eval_rescues: failed, the reason says why (no failure class: none of the Rust tool\'s fits)', () => {
    const p = planResolveEvaluations(graph(gated({ rescue_count: 3 }), evalDone), svc, opts({ a: [ev(0.2)] }));
    const a = written(p.writes, 'a');
    expect(a.status).toBe('failed');
    expect(a.failure_class).toBeUndefined();
    expect(a.failure_reason).toMatch(/^evaluation scored 0\.20, below eval_gate_threshold/);
    expect(a.failure_reason).toContain('0.20');
    expect(p.result.rejected).toEqual([{ id: 'a', score: 0.2 }]);
  });

  it('judges only evaluations of this attempt (at/after completion), never system or FLIP scores', () => {
    const t = gated();
    expect(gateEvaluation(t, [ev(0.1, iso(-5000))])).toBeUndefined();
    expect(gateEvaluation(t, [ev(0.1, iso(1000), 'system')])).toBeUndefined();
    expect(gateEvaluation(t, [ev(0.9, iso(1000)), ev(0.3, iso(3000))])!.score).toBe(0.3);
    // No score of this attempt → done.
    expect(written(planResolveEvaluations(graph(t, evalDone), svc, opts({ a: [ev(0.1, iso(-5000))] })).writes, 'a').status).toBe('done');
  });
});

describe('orphaned companions', () => {
  it('an unstarted .evaluate-X of an abandoned or missing X is abandoned; a running one is left', () => {
    const p = planResolveEvaluations(graph(task('a', { status: 'abandoned' }), dep('.evaluate-a', ['a']), dep('.evaluate-gone', ['gone']), dep('.evaluate-b', ['b'], { status: 'in-progress' })), svc, opts());
    expect(p.result.abandoned).toEqual(['.evaluate-a', '.evaluate-gone']);
    expect(written(p.writes, '.evaluate-a').failure_reason).toBe("source task 'a' was abandoned");
  });
});

describe('wg assign (task.agent)', () => {
  it('sets and clears the identity with a log entry; the same value is a no-op', () => {
    const h = 'f'.repeat(64);
    const p = planAssign(graph(task('a')), 'a', h, who(), 'programmer / careful');
    expect(written(p.writes, 'a').agent).toBe(h);
    expect(written(p.writes, 'a').log!.at(-1)!.message).toBe('Agent identity set to ffffffff (programmer / careful)');
    expect(planAssign(graph(task('a', { agent: h })), 'a', h, who()).writes).toEqual([]);
    const c = planAssign(graph(task('a', { agent: h })), 'a', undefined, who());
    expect(written(c.writes, 'a').agent).toBeUndefined();
    wgError(() => planAssign(graph(task('a')), 'b', h, who()), 'not_found', ExitCode.refused);
  });
});
