/**
 * src/core/claims.ts: claim, release (the one epoch rule), "is this claim dead?", "does agent A
 * still hold T at epoch E?", and companion ids — and that the planners that used to write their
 * own epoch rule now follow the one rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claim, companionId, companionIds, companionSource, deadClaim, hasLiveAgent, holdsClaim, isDeadClaim, nextEpoch, release } from '../../src/core/claims.js';
import type { AgentLiveness, LivenessMap } from '../../src/core/liveness.js';
import { planResolveEvaluations } from '../../src/core/plans/evaluation.js';
import { planDone } from '../../src/core/plans/finish.js';
import { planRecover } from '../../src/core/plans/recover.js';
import { STATUSES } from '../../src/core/transitions.js';
import { dep, graph, iso, NOW, NOW_ISO, task, who, written } from './fixtures.js';

const liveness = (entries: Record<string, AgentLiveness>): LivenessMap => new Map(Object.entries(entries));

describe('claim', () => {
  it('in-progress, held by the holder, epoch+1, started now; other fields kept, extra applied', () => {
    const t = claim(task('x', { claim_epoch: 4, tags: ['a'], started_at: iso(-1000) }), 'agent-3', NOW, { dispatch_count: 2 });
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'agent-3', claim_epoch: 5, started_at: NOW_ISO, dispatch_count: 2, tags: ['a'] });
  });

  it('never changes its input', () => {
    const before = task('x');
    claim(before, 'bob', NOW);
    expect(before).toEqual(task('x'));
  });
});

describe('release: one epoch rule', () => {
  it('claim cleared, epoch+1, the given status and extra fields', () => {
    const t = release(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 2, started_at: iso(0) }), 'open', { started_at: undefined, retry_count: 1 });
    expect(t).toMatchObject({ status: 'open', claim_epoch: 3, retry_count: 1 });
    expect(t.assigned).toBeUndefined();
    expect('started_at' in t).toBe(false);
  });

  it('property: every release bumps the epoch by exactly one, holder or not, whatever the status', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.constantFrom(...STATUSES), fc.option(fc.constantFrom('alice', 'agent-1'), { nil: undefined }), fc.option(fc.nat({ max: 100 }), { nil: undefined }), (from, to, holder, epoch) => {
        const before = task('x', { status: from, ...(holder ? { assigned: holder } : {}), ...(epoch !== undefined ? { claim_epoch: epoch } : {}) });
        const after = release(before, to);
        expect(after.claim_epoch).toBe((epoch ?? 0) + 1);
        expect(after.assigned).toBeUndefined();
        expect(after.status).toBe(to);
        expect(nextEpoch(before)).toBe((epoch ?? 0) + 1);
      }),
    );
  });

  // The sites that used to keep the epoch when nobody held the task ("+1 when held, else keep").
  it('recover of an unclaimed failed task bumps the epoch (it goes back to the queue)', () => {
    const p = planRecover(graph(task('f', { status: 'failed', claim_epoch: 2 })), { filters: [], keepAgency: false, maxAttempts: 5 }, who());
    expect(written(p.writes, 'f')).toMatchObject({ status: 'open', claim_epoch: 3 });
  });

  it('a loop iteration bumps the epoch of a re-opened member that nobody holds', () => {
    // A task with its own cycle_config is a loop of one: done re-opens it (iteration 1).
    const p = planDone(graph(task('a', { status: 'open', cycle_config: { max_iterations: 5 }, claim_epoch: 1 })), 'a', who());
    expect(written(p.writes, 'a')).toMatchObject({ status: 'open', claim_epoch: 2, loop_iteration: 1 });
    expect(written(p.writes, 'a').assigned).toBeUndefined();
  });

  it('an eval-gate rescue bumps the epoch of an unclaimed task and of its companion', () => {
    const g = graph(
      task('a', { status: 'pending-eval', tags: ['eval-gate'], claim_epoch: 2, completed_at: iso(0) }),
      dep('.evaluate-a', ['a'], { status: 'done', claim_epoch: 1, completed_at: iso(2000) }),
    );
    const p = planResolveEvaluations(g, who({ actor: 'service' }), { threshold: 0.7, maxRescues: 3, evaluationsOf: () => [{ score: 0.1, source: 'llm', timestamp: iso(1000) }] });
    expect(written(p.writes, 'a')).toMatchObject({ status: 'open', claim_epoch: 3 });
    expect(written(p.writes, '.evaluate-a')).toMatchObject({ status: 'open', claim_epoch: 2 });
  });
});

describe('holdsClaim', () => {
  const t = task('x', { status: 'in-progress', assigned: 'agent-2', claim_epoch: 3 });
  it('same agent and epoch: yes; another agent or epoch: no; no epoch given: any epoch', () => {
    expect(holdsClaim(t, 'agent-2', 3)).toBe(true);
    expect(holdsClaim(t, 'agent-2', 2)).toBe(false);
    expect(holdsClaim(t, 'agent-1', 3)).toBe(false);
    expect(holdsClaim(t, 'agent-2')).toBe(true);
    expect(holdsClaim(undefined, 'agent-2', 3)).toBe(false);
    // a task never claimed has epoch 0
    expect(holdsClaim(task('y', { assigned: 'agent-5' }), 'agent-5', 0)).toBe(true);
  });
});

describe('deadClaim / isDeadClaim', () => {
  const l = liveness({ 'agent-1': { alive: true }, 'agent-2': { alive: false, reason: 'process 77 is gone' } });
  it('an agent claim whose agent is dead: its reason; unknown to the registry: known false', () => {
    expect(deadClaim(task('x', { assigned: 'agent-2' }), l)).toEqual({ agent: 'agent-2', known: true, reason: 'process 77 is gone' });
    expect(deadClaim(task('x', { assigned: 'agent-9' }), l)).toEqual({ agent: 'agent-9', known: false });
    expect(isDeadClaim(task('x', { assigned: 'agent-9' }), l)).toBe(true);
  });

  it('a live agent, a human, or no claim: not dead', () => {
    expect(deadClaim(task('x', { assigned: 'agent-1' }), l)).toBeUndefined();
    expect(deadClaim(task('x', { assigned: 'bob' }), l)).toBeUndefined();
    expect(deadClaim(task('x', { assigned: 'agent' }), l)).toBeUndefined(); // not an agent id
    expect(deadClaim(task('x', { assigned: 'agentsmith' }), l)).toBeUndefined();
    // Any agent-… claimant absent from the registry is unknown (issue 9), not only agent-<number>.
    expect(deadClaim(task('x', { assigned: 'agent-zombie-1' }), l)).toEqual({ agent: 'agent-zombie-1', known: false });
    expect(isDeadClaim(task('x'), l)).toBe(false);
    expect(hasLiveAgent(task('x', { assigned: 'agent-1' }), l)).toBe(true);
    expect(hasLiveAgent(task('x', { assigned: 'agent-2' }), l)).toBe(false);
  });
});

describe('companion ids', () => {
  it('one function makes them; the source comes back out', () => {
    expect(companionId('evaluate', 'build')).toBe('.evaluate-build');
    expect(companionIds('build')).toEqual(['.evaluate-build', '.flip-build', '.assign-build']);
    expect(companionSource('.evaluate-build')).toBe('build');
    expect(companionSource('.flip-a.b')).toBe('a.b');
    expect(companionSource('.assign-x', 'evaluate')).toBeUndefined();
    expect(companionSource('build')).toBeUndefined();
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/), fc.constantFrom('evaluate' as const, 'flip' as const, 'assign' as const), (id, kind) => {
      expect(companionSource(companionId(kind, id), kind)).toBe(id);
    }));
  });
});
