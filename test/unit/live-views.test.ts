/**
 * The pure rules under the live views: events from raw lines (core/events.ts), the archived-
 * dependency rule in readiness, what archive and gc pick, attempts (core/trace.ts), spend
 * (core/spend.ts) — on an injected clock, no disk.
 */
import { describe, expect, it } from 'vitest';
import { eventConcernsTask, eventFromOperation, eventFromServiceRecord, type WgEvent } from '../../src/core/events.js';
import { planArchive } from '../../src/core/plans/archive.js';
import { planGc } from '../../src/core/plans/gc.js';
import { readiness, readyTasks } from '../../src/core/readiness.js';
import { spend, startOfDay, usageRecords } from '../../src/core/spend.js';
import { buildTrace, type AgentRun } from '../../src/core/trace.js';
import { dep, graph, HOUR, iso, NOW, task } from './fixtures.js';

const DAY = 24 * HOUR;

describe('events from raw lines', () => {
  it('maps operations to kinds and the status they leave', () => {
    const e = (op: string, detail: Record<string, unknown> = {}): WgEvent | undefined => eventFromOperation({ timestamp: iso(0), op, task_id: 'a', actor: 'bob', detail });
    expect(e('add_task', { title: 'A' })).toMatchObject({ kind: 'task.created', status: 'open', actor: 'bob' });
    expect(e('claim', { actor: 'bob', epoch: 1 })).toMatchObject({ kind: 'task.changed', status: 'in-progress', agent: 'bob' });
    expect(e('done', { status: 'pending-eval' })).toMatchObject({ status: 'pending-eval' });
    expect(e('reclaim', { agent: 'agent-1', failed: true })).toMatchObject({ kind: 'claim.reclaimed', status: 'failed', agent: 'agent-1' });
    expect(e('log', { message: 'hi' })).toMatchObject({ kind: 'task.message', detail: { message: 'hi' } });
    expect(eventFromOperation({ op: 'recover', timestamp: iso(0) })).toMatchObject({ kind: 'graph' });
    expect(eventFromOperation({ nonsense: true })).toBeUndefined();
  });
  it('maps service events; a lease death is a hang; claim:reclaimed is left to the operations log', () => {
    const s = (event: string, data: Record<string, unknown>): WgEvent | undefined => eventFromServiceRecord({ ts: iso(0), event, data });
    expect(s('agent:dead', { agent: 'agent-1', task: 'a', reason: 'lease expired' })?.kind).toBe('agent.hung');
    expect(s('agent:dead', { agent: 'agent-1', task: 'a', reason: 'pid gone' })?.kind).toBe('agent.dead');
    expect(s('claim:reclaimed', { task: 'a' })).toBeUndefined();
    expect(s('tick:done', {})).toBeUndefined();
    expect(s('service:started', { pid: 1 })).toMatchObject({ kind: 'service.started', source: 'service' });
  });
  it('--task keeps the task, its evaluation and batch events naming it', () => {
    const base = { ts: iso(0), source: 'graph' as const, kind: 'eval' as const, name: 'x', detail: {} };
    expect(eventConcernsTask({ ...base, task: 'a' }, 'a')).toBe(true);
    expect(eventConcernsTask({ ...base, task: '.evaluate-a' }, 'a')).toBe(true);
    expect(eventConcernsTask({ ...base, detail: { tasks: ['a', 'b'] } }, 'a')).toBe(true);
    expect(eventConcernsTask({ ...base, task: 'ab' }, 'a')).toBe(false);
  });
});

describe('archived dependencies (the one readiness rule)', () => {
  it('a dependency missing from the graph is satisfied only when archived', () => {
    const g = graph(dep('b', ['a']), dep('c', ['gone']));
    expect(readyTasks(g, NOW).map((t) => t.id)).toEqual([]);
    g.archived = { has: (id) => id === 'a' };
    expect(readyTasks(g, NOW).map((t) => t.id)).toEqual(['b']);
    expect(readiness(g, g.get('c')!, NOW).blockers).toEqual([{ kind: 'dependency', id: 'gone', status: 'missing' }]);
  });
});

describe('archive and gc plans', () => {
  it('archive picks old done/abandoned regular tasks outside cycles and without a running evaluation', () => {
    const old = iso(-30 * DAY);
    const g = graph(
      task('d', { status: 'done', completed_at: old }),
      task('ab', { status: 'abandoned', completed_at: old }),
      task('f', { status: 'failed', completed_at: old }),
      task('new', { status: 'done', completed_at: iso(-HOUR) }),
      task('ev', { status: 'done', completed_at: old }),
      task('.evaluate-ev', { status: 'in-progress', after: ['ev'] }),
      dep('l1', ['l2'], { status: 'done', completed_at: old }),
      dep('l2', ['l1'], { status: 'done', completed_at: old, cycle_config: { max_iterations: 2 } }),
      task('.assign-x', { status: 'done', completed_at: old }),
    );
    const p = planArchive(g, NOW, 7 * DAY);
    expect(p.ids).toEqual(['d', 'ab']);
    expect(p.kept.map((k) => k.id)).toEqual(['ev', 'l1', 'l2']);
    expect(planArchive(g, NOW, 0).ids).toEqual(['d', 'ab', 'new']);
  });
  it('gc picks old terminal system tasks and finished agents’ dirs, never a live agent or a pending evaluation', () => {
    const old = iso(-30 * DAY);
    const g = graph(task('x', { status: 'pending-eval' }), task('.evaluate-x', { status: 'failed', completed_at: old }), task('.assign-y', { status: 'done', completed_at: old }), task('.assign-z', { status: 'open' }));
    const p = planGc(
      g,
      [
        { id: 'agent-1', status: 'done', completed_at: old, mtimeMs: NOW.getTime() },
        { id: 'agent-2', status: 'working', mtimeMs: 0 },
        { id: 'agent-3', mtimeMs: NOW.getTime() - 30 * DAY },
        { id: 'agent-4', status: 'dead', completed_at: iso(-HOUR), mtimeMs: 0 },
      ],
      NOW,
      7 * DAY,
    );
    expect(p).toMatchObject({ tasks: ['.assign-y'], agentDirs: ['agent-1', 'agent-3'] });
  });
});

const run = (id: string, patch: Partial<AgentRun>): AgentRun => ({ id, task_id: 't', started_at: iso(-HOUR), status: 'done', executor: 'claude', ...patch });

describe('trace', () => {
  it('orders service attempts and claims, with durations, failure reasons, log entries per attempt', () => {
    const t = task('t', {
      status: 'in-progress',
      model: 'sonnet',
      log: [
        { timestamp: iso(-50 * 60_000), message: 'first try' },
        { timestamp: iso(-10 * 60_000), message: 'second try' },
      ],
    });
    const events: WgEvent[] = [
      { ts: iso(-40 * 60_000), source: 'graph', kind: 'claim.reclaimed', name: 'reclaim', task: 't', agent: 'agent-1', detail: { agent: 'agent-1', reason: 'agent exited with code 1' } },
      { ts: iso(-20 * 60_000), source: 'graph', kind: 'task.changed', name: 'claim', task: 't', detail: { actor: 'alice' } },
      { ts: iso(-15 * 60_000), source: 'graph', kind: 'task.changed', name: 'unclaim', task: 't', detail: {} },
    ];
    const tr = buildTrace(
      t,
      [run('agent-1', { started_at: iso(-HOUR), completed_at: iso(-40 * 60_000), status: 'dead', exit_code: 1, token_usage: { input_tokens: 5, output_tokens: 2, cost_usd: 0.1 } }), run('agent-2', { started_at: iso(-12 * 60_000), status: 'working', model: 'opus' })],
      events,
      new Map([['agent-1', ['boom']]]),
      NOW,
    );
    expect(tr.attempts.map((a) => [a.n, a.agent, a.via, a.outcome, a.duration_ms, a.failure_reason, a.model])).toEqual([
      [1, 'agent-1', 'service', 'dead', 20 * 60_000, 'agent exited with code 1', 'sonnet'],
      [2, 'alice', 'claim', 'released', 5 * 60_000, null, 'sonnet'],
      [3, 'agent-2', 'service', 'running', 12 * 60_000, null, 'opus'],
    ]);
    expect(tr.attempts[0]!.log.map((l) => l.message)).toEqual(['first try']);
    expect(tr.attempts[2]!.log.map((l) => l.message)).toEqual(['second try']);
    expect(tr.attempts[0]!.output_tail).toEqual(['boom']);
    expect(tr.totals).toEqual({ input_tokens: 5, output_tokens: 2, cost_usd: 0.1 });
  });
});

describe('spend', () => {
  it('one record per attempt with usage; a task’s own usage only when no agent covered it', () => {
    const recs = usageRecords(
      [run('agent-1', { task_id: 'a', completed_at: iso(0), model: 'opus', token_usage: { input_tokens: 10, cost_usd: 1 } }), run('agent-2', { task_id: 'b' })],
      [task('a', { token_usage: { input_tokens: 999 } }), task('c', { completed_at: iso(-2 * DAY), token_usage: { output_tokens: 4, cost_usd: 0.5 } })],
    );
    expect(recs.map((r) => [r.task, r.agent, r.model, r.input_tokens, r.output_tokens, r.cost_usd])).toEqual([
      ['a', 'agent-1', 'opus', 10, 0, 1],
      ['c', 'unknown', 'unknown', 0, 4, 0.5],
    ]);
    const byDay = spend(recs, 'day');
    expect(byDay.rows.map((r) => r.key)).toEqual([iso(-2 * DAY).slice(0, 10), iso(0).slice(0, 10)]);
    expect(spend(recs, 'task', startOfDay(NOW)).total).toMatchObject({ attempts: 1, cost_usd: 1 });
  });
});
