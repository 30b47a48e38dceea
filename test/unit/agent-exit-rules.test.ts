/**
 * How an agent's exit is read (core/plans/agent-death.ts, pure): an LLM agent must report
 * (`wg done` / `wg fail`) — its CLI exits 0 whenever the session ends — while the shell
 * executor keeps exit-code semantics; the failure carries the agent's own error text; an LLM
 * agent's failure waits for its evaluation with auto_evaluate (failed-pending-eval), and the
 * evaluation then ends it failed.
 */
import { describe, expect, it } from 'vitest';
import { mustReport } from '../../src/agents/executors/index.js';
import { exitFailure, planAgentExit, SILENT_EXIT_REASON } from '../../src/core/plans/agent-death.js';
import { planResolveEvaluations } from '../../src/core/plans/evaluation.js';
import { graph, iso, MIN, task, who, written } from './fixtures.js';

const held = (extra: Parameters<typeof task>[] = []) => graph(task('x', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4, created_at: iso(-10 * MIN) }), ...extra.map((a) => task(...a)));
const svc = who({ actor: 'service' });

describe('reading an agent exit', () => {
  it('claude and codex must report; shell and custom executors keep exit-code semantics', () => {
    expect(['claude', 'codex', 'shell', 'mine'].map(mustReport)).toEqual([true, true, false, false]);
  });

  it('exit 0 of an LLM agent that still holds its task: failed, "agent exited without reporting (wg done / wg fail)"', () => {
    const p = planAgentExit(held(), 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc, { exit: { mustReport: true } });
    expect(p.result.action).toBe('failed');
    expect(written(p.writes, 'x')).toMatchObject({ status: 'failed', failure_reason: SILENT_EXIT_REASON, failure_class: 'agent-exit-nonzero', assigned: 'agent-3', claim_epoch: 4 });
    expect(SILENT_EXIT_REASON).toBe('agent exited without reporting (wg done / wg fail)');
  });

  it('exit 0 of a shell agent: done', () => {
    const p = planAgentExit(held(), 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc, { exit: { mustReport: false, errorText: 'warning: noise' } });
    expect(written(p.writes, 'x')).toMatchObject({ status: 'done' });
  });

  it('an agent that reported (the task is no longer its in-progress claim) changes nothing at exit', () => {
    const g = graph(task('x', { status: 'done', assigned: 'agent-3', claim_epoch: 4 }));
    expect(planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc, { exit: { mustReport: true } }).writes).toEqual([]);
  });

  it('a failure carries the agent own error text and its API error class', () => {
    expect(exitFailure('agent-3', { kind: 'exited', code: 1 }, { errorText: 'API Error: 529 Overloaded', failureClass: 'api-error5xx-transient' })).toEqual({
      reason: 'agent agent-3 exited with code 1: API Error: 529 Overloaded',
      failureClass: 'api-error5xx-transient',
    });
    expect(exitFailure('agent-3', { kind: 'exited', code: 1 }, { errorText: 'fixed.flag missing' }).reason).toBe('agent agent-3 exited with code 1: fixed.flag missing');
    expect(exitFailure('agent-3', { kind: 'exited', code: 0 }, { mustReport: true, errorText: 'Not logged in' }).reason).toBe(`${SILENT_EXIT_REASON}: Not logged in`);
    expect(exitFailure('agent-3', { kind: 'timeout' }, { errorText: 'x' })).toEqual({ reason: 'agent agent-3 exceeded its hard timeout', failureClass: 'agent-hard-timeout' });
  });

  it('with auto_evaluate and a waiting .evaluate-X, an LLM agent failure is failed-pending-eval; the finished evaluation ends it failed', () => {
    const g = held([['.evaluate-x', { status: 'open', after: ['x'], tags: ['evaluation'] }]]);
    const p = planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc, { exit: { mustReport: true, autoEvaluate: true } });
    const fpe = written(p.writes, 'x');
    expect(fpe).toMatchObject({ status: 'failed-pending-eval', failure_reason: SILENT_EXIT_REASON });
    expect(fpe.log!.at(-1)!.message).toBe('Task failed, pending evaluation (awaiting .evaluate-x)');
    // Not for API errors (terminal classes), not for the shell executor, not without auto_evaluate.
    expect(written(planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 1 }, svc, { exit: { mustReport: true, autoEvaluate: true, failureClass: 'api-error429-rate-limit' } }).writes, 'x').status).toBe('failed');
    expect(written(planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 1 }, svc, { exit: { mustReport: false, autoEvaluate: true } }).writes, 'x').status).toBe('failed');
    expect(written(planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc, { exit: { mustReport: true } }).writes, 'x').status).toBe('failed');

    const evaluated = graph(fpe, task('.evaluate-x', { status: 'done', after: ['x'], tags: ['evaluation'] }));
    const r = planResolveEvaluations(evaluated, svc, { threshold: 0.7, maxRescues: 1, evaluationsOf: () => [{ score: 0.3, source: 'llm', timestamp: iso(0) }] });
    expect(r.result.failed).toEqual([{ id: 'x', score: 0.3 }]);
    expect(written(r.writes, 'x')).toMatchObject({ status: 'failed', failure_reason: SILENT_EXIT_REASON });
  });
});
