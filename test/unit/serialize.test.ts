import { describe, expect, it } from 'vitest';
import { FIELD_ORDER, isAgentActor, isStatus, isSystemId, isTerminal, serializeTask, STATUSES, withFields, type Task } from '../../src/core/task.js';
import { task } from './fixtures.js';

const keysOf = (line: string): string[] => Object.keys(JSON.parse(line) as object);

describe('serializeTask', () => {
  it('a minimal task', () => {
    expect(serializeTask(task('a'))).toBe('{"kind":"task","id":"a","title":"Title of a","status":"open","priority":10}');
  });

  it('adds kind:"task" first when absent', () => {
    const t = { id: 'a', title: 'A', status: 'open', priority: 10 } as unknown as Task;
    expect(keysOf(serializeTask(t))).toEqual(['kind', 'id', 'title', 'status', 'priority']);
  });

  it('keeps id/title/status/priority even when "empty" (priority 0, empty title)', () => {
    const t = task('a', { title: '', priority: 0 });
    expect(JSON.parse(serializeTask(t))).toEqual({ kind: 'task', id: 'a', title: '', status: 'open', priority: 0 });
  });

  it('omits null / empty / zero / false known fields', () => {
    const t = task('a', {
      description: '',
      assigned: undefined,
      after: [],
      before: [],
      tags: [],
      artifacts: [],
      retry_count: 0,
      dispatch_count: 0,
      claim_epoch: 0,
      loop_iteration: 0,
      paused: false,
      failure_reason: null as unknown as string,
      model: undefined,
    });
    expect(keysOf(serializeTask(t))).toEqual(['kind', 'id', 'title', 'status', 'priority']);
  });

  it('keeps non-empty known fields, including non-empty objects', () => {
    const t = task('a', { paused: true, claim_epoch: 3, tags: ['x'], token_usage: { cost_usd: 0.5 }, cycle_config: { max_iterations: 3 } });
    expect(JSON.parse(serializeTask(t))).toMatchObject({ paused: true, claim_epoch: 3, tags: ['x'], token_usage: { cost_usd: 0.5 }, cycle_config: { max_iterations: 3 } });
  });

  it('emits known fields in canonical FIELD_ORDER regardless of object order', () => {
    const t = {
      claim_epoch: 2,
      dispatch_count: 1,
      log: [{ timestamp: 't', message: 'm' }],
      after: ['x'],
      priority: 5,
      status: 'open',
      created_at: '2026-01-01T00:00:00Z',
      assigned: 'bob',
      title: 'T',
      id: 'a',
      kind: 'task',
      paused: true,
      description: 'd',
    } as unknown as Task;
    const keys = keysOf(serializeTask(t));
    expect(keys).toEqual(['kind', 'id', 'title', 'description', 'status', 'priority', 'assigned', 'after', 'created_at', 'log', 'paused', 'dispatch_count', 'claim_epoch']);
    const order = keys.map((k) => (FIELD_ORDER as readonly string[]).indexOf(k));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('keeps unknown fields, even empty ones, after the known fields in their original order', () => {
    const t = {
      zeta: 1,
      id: 'a',
      empty_str: '',
      title: 'T',
      empty_arr: [],
      nul: null,
      zero: 0,
      no: false,
      status: 'open',
      nested: { deep: [1, { x: null }] },
      priority: 10,
      unplaced: true,
    } as unknown as Task;
    const line = serializeTask(t);
    expect(keysOf(line)).toEqual(['kind', 'id', 'title', 'status', 'priority', 'zeta', 'empty_str', 'empty_arr', 'nul', 'zero', 'no', 'nested', 'unplaced']);
    expect(JSON.parse(line)).toEqual({ ...t, kind: 'task' });
  });

  it('drops undefined unknown fields (they cannot be in JSON)', () => {
    const t = { ...task('a'), extra: undefined } as Task;
    expect(keysOf(serializeTask(t))).not.toContain('extra');
  });

  it('preserves an unknown "__proto__" key read from a file', () => {
    const parsed = JSON.parse('{"kind":"task","id":"a","title":"T","status":"open","priority":10,"__proto__":{"x":1},"after_that":2}') as Task;
    const line = serializeTask(parsed);
    expect(line).toBe('{"kind":"task","id":"a","title":"T","status":"open","priority":10,"__proto__":{"x":1},"after_that":2}');
  });

  it('is a single line', () => {
    const t = task('a', { description: 'line1\nline2', log: [{ timestamp: 't', message: 'a\nb' }] });
    expect(serializeTask(t)).not.toContain('\n');
  });

  it('is stable: serialize(parse(serialize(t))) === serialize(t)', () => {
    const t = task('a', { after: ['b'], tags: ['x'], custom: { a: 1 }, claim_epoch: 4 });
    const once = serializeTask(t);
    expect(serializeTask(JSON.parse(once) as Task)).toBe(once);
  });
});

describe('withFields', () => {
  it('returns a copy with the patch applied; undefined deletes', () => {
    const t = task('a', { assigned: 'bob', tags: ['x'] });
    const n = withFields(t, { assigned: undefined, priority: 3 });
    expect(n).not.toBe(t);
    expect('assigned' in n).toBe(false);
    expect(n.priority).toBe(3);
    expect(t.assigned).toBe('bob');
    expect(t.priority).toBe(10);
  });
  it('keeps an own "__proto__" field of the source', () => {
    const parsed = JSON.parse('{"kind":"task","id":"a","title":"T","status":"open","priority":10,"__proto__":7}') as Task;
    const n = withFields(parsed, { priority: 1 });
    expect(JSON.parse(serializeTask(n))).toEqual(JSON.parse('{"kind":"task","id":"a","title":"T","status":"open","priority":1,"__proto__":7}'));
  });
});

describe('task predicates', () => {
  it('isTerminal', () => {
    expect(STATUSES.filter(isTerminal)).toEqual(['done', 'failed', 'abandoned']);
  });
  it('isStatus', () => {
    for (const s of STATUSES) expect(isStatus(s)).toBe(true);
    for (const s of ['Open', 'in_progress', '', 1, null, undefined]) expect(isStatus(s)).toBe(false);
  });
  it('isSystemId', () => {
    expect(isSystemId('.evaluate-x')).toBe(true);
    expect(isSystemId('x.y')).toBe(false);
  });
  it('isAgentActor', () => {
    expect(isAgentActor('agent-1')).toBe(true);
    expect(isAgentActor('agent-42')).toBe(true);
    expect(isAgentActor('agent-')).toBe(false);
    expect(isAgentActor('alice')).toBe(false);
    expect(isAgentActor(undefined)).toBe(false);
  });
});

describe('serializeTask: zero that means something', () => {
  it('keeps max_retries: 0 (never re-queue) but omits zero counters', () => {
    const line = JSON.parse(serializeTask({ kind: 'task', id: 'a', title: 'A', status: 'open', priority: 10, max_retries: 0, retry_count: 0 })) as Record<string, unknown>;
    expect(line.max_retries).toBe(0);
    expect('retry_count' in line).toBe(false);
  });
});
