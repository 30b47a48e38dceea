/**
 * A task line both ways (src/core/task-line.ts): read with the Rust tool's meaning (aliases,
 * legacy values, nulls), written back with its key order, its dependency spelling when the
 * dependencies did not change, and only values the Rust tool can load — checked with the
 * loadability rules of src/compat/rust-rules.ts, on hand-written cases and on random lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rustGraphLine, RUST_FAILURE_CLASSES, RUST_STATUSES } from '../../src/compat/rust-rules.js';
import { displayFailureClass, FAILURE_CLASS_CHOICES, FAILURE_CLASSES, parseFailureClass, rustReadableFailure } from '../../src/core/failure-class.js';
import { readTaskRecord, rustPriority, serializeTask } from '../../src/core/task-line.js';
import { STATUSES, withFields, type Task } from '../../src/core/task.js';
import { Graph } from '../../src/core/graph.js';
import { buildPrompt } from '../../src/service/prompt.js';
import { parseGraph } from '../../src/store/graph-file.js';

const read = (line: string): Task => readTaskRecord(JSON.parse(line) as Record<string, unknown>);
const keys = (line: string): string[] => Object.keys(JSON.parse(line) as object);
/** Rewrites `line` after `edit`, as the store does (the old line gives the order). */
const rewrite = (line: string, edit: (t: Task) => Task = (t) => t): string => serializeTask(edit(read(line)), JSON.parse(line) as Record<string, unknown>);
const rustErrors = (line: string): string[] => rustGraphLine(line).errors;

describe('the lists wg shares with the Rust tool', () => {
  it("failure classes and statuses are the Rust tool's (as its loadability rules list them)", () => {
    expect([...FAILURE_CLASSES]).toEqual([...RUST_FAILURE_CLASSES]);
    expect(new Set(STATUSES)).toEqual(new Set(RUST_STATUSES));
  });
});

describe('readTaskRecord: a line means what it means to the Rust tool', () => {
  it('blocked_by is after and blocks is before, in the place the alias had', () => {
    const t = read('{"kind":"task","id":"a","title":"A","blocked_by":["x","y"],"status":"open","blocks":["z"]}');
    expect(t.after).toEqual(['x', 'y']);
    expect(t.before).toEqual(['z']);
    expect(Object.keys(t)).toEqual(['kind', 'id', 'title', 'after', 'status', 'before', 'priority']);
    expect('blocked_by' in t || 'blocks' in t).toBe(false);
  });

  it('a line holding both (an older wg wrote such lines) reads as their union', () => {
    expect(read('{"kind":"task","id":"a","title":"A","after":["x"],"blocked_by":["y","x"]}').after).toEqual(['x', 'y']);
    expect(read('{"kind":"task","id":"a","title":"A","before":["p"],"blocks":["q"]}').before).toEqual(['p', 'q']);
  });

  it('statuses: pending-review is done, a missing status is open', () => {
    expect(read('{"kind":"task","id":"a","title":"A","status":"pending-review"}').status).toBe('done');
    expect(read('{"kind":"task","id":"a","title":"A"}').status).toBe('open');
  });

  it('priorities as the Rust tool reads them: integers kept, names mapped, anything else 10', () => {
    const cases: Array<[unknown, number]> = [
      [0, 0], [7, 7], [50, 50], ['critical', 100], ['HIGH', 50], ['normal', 10], ['Low', 5], ['idle', 0],
      ['urgent', 10], [2.5, 10], [-1, 10], [null, 10], [true, 10], [[1], 10], [{ p: 1 }, 10], [2 ** 32 + 5, 5],
    ];
    for (const [v, want] of cases) expect(rustPriority(v), JSON.stringify(v)).toBe(want);
    expect(read('{"kind":"task","id":"a","title":"A","priority":"urgent"}').priority).toBe(10);
    expect(read('{"kind":"task","id":"a","title":"A"}').priority).toBe(10);
  });

  it("null where the Rust tool allows it (Option fields, a log entry's actor/user) is an absent field", () => {
    const t = read('{"kind":"task","id":"a","title":"A","assigned":null,"description":null,"max_retries":null,"failure_class":null,"cycle_config":null,"log":[{"timestamp":"t","actor":null,"user":null,"message":"m"}]}');
    for (const f of ['assigned', 'description', 'max_retries', 'failure_class', 'cycle_config']) expect(f in t, f).toBe(false);
    expect(t.log).toEqual([{ timestamp: 't', message: 'm' }]);
  });

  it('a kind is added when missing; a badly typed alias is left for validation to name', () => {
    expect(read('{"id":"a","title":"A"}').kind).toBe('task');
    expect(read('{"kind":"task","id":"a","title":"A","blocked_by":"x"}').blocked_by).toBe('x');
  });
});

describe('serializeTask(task, previous): minimal diffs, only Rust-loadable values', () => {
  const RUST_LINE =
    '{"kind":"task","id":"b","title":"B","status":"open","blocked_by":["a"],"created_at":"2026-03-01T01:00:01.123456789+00:00","x_plugin":{"k":1},"log":[{"message":"hi","timestamp":"2026-03-01T01:00:00+00:00"}],"estimate":{"hours":2.0}}';

  it('an unchanged line is written back byte for byte (compact JSON), its log entries in their key order', () => {
    expect(rewrite(RUST_LINE)).toBe(RUST_LINE.replace('"hours":2.0', '"hours":2'));
    const plain = '{"kind":"task","id":"p","title":"P","status":"done","priority":10,"after":["a"],"log":[{"timestamp":"t","message":"m","actor":"x"}]}';
    expect(rewrite(plain)).toBe(plain);
  });

  it('a change keeps the key order; new keys go at the end; removed keys go; unchanged dependencies keep the spelling blocked_by', () => {
    const out = rewrite(RUST_LINE, (t) => withFields(t, { status: 'in-progress', assigned: 'alice', claim_epoch: 1, x_plugin: undefined }));
    expect(keys(out)).toEqual(['kind', 'id', 'title', 'status', 'blocked_by', 'created_at', 'log', 'estimate', 'assigned', 'claim_epoch']);
    expect(JSON.parse(out)).toMatchObject({ status: 'in-progress', blocked_by: ['a'] });
    expect(rustErrors(out)).toEqual([]);
  });

  it('changed dependencies are written as after, in the place blocked_by had, and blocked_by is gone', () => {
    const out = rewrite(RUST_LINE, (t) => withFields(t, { after: [...t.after!, 'c'] }));
    expect(keys(out)).toEqual(['kind', 'id', 'title', 'status', 'after', 'created_at', 'x_plugin', 'log', 'estimate']);
    expect(JSON.parse(out).after).toEqual(['a', 'c']);
    expect(rustErrors(out)).toEqual([]);
    // All removed: neither key.
    expect(keys(rewrite(RUST_LINE, (t) => withFields(t, { after: undefined })))).not.toContain('after');
    // blocks the same way.
    const blocks = '{"kind":"task","id":"a","title":"A","blocks":["b"],"status":"done"}';
    expect(rewrite(blocks, (t) => withFields(t, { status: 'open' }))).toBe('{"kind":"task","id":"a","title":"A","blocks":["b"],"status":"open"}');
    expect(rewrite(blocks, (t) => withFields(t, { before: ['b', 'c'] }))).toBe('{"kind":"task","id":"a","title":"A","before":["b","c"],"status":"done"}');
  });

  it('a line holding both after and blocked_by (unloadable by the Rust tool) is fixed by any rewrite', () => {
    const both = '{"kind":"task","id":"a","title":"A","after":["x"],"status":"open","blocked_by":["y"]}';
    expect(rustErrors(both)).toEqual(['duplicate field `after`']);
    const out = rewrite(both, (t) => withFields(t, { status: 'done' }));
    expect(out).toBe('{"kind":"task","id":"a","title":"A","after":["x","y"],"status":"done"}');
    expect(rustErrors(out)).toEqual([]);
  });

  it('a status or priority the line left to its default stays unwritten while it is the default', () => {
    const bare = '{"kind":"task","id":"a","title":"A","created_at":"t"}';
    expect(rewrite(bare, (t) => withFields(t, { tags: ['x'] }))).toBe('{"kind":"task","id":"a","title":"A","created_at":"t","tags":["x"]}');
    expect(rewrite(bare, (t) => withFields(t, { status: 'done', priority: 50 }))).toBe('{"kind":"task","id":"a","title":"A","created_at":"t","status":"done","priority":50}');
  });

  it('legacy values are written the way the Rust tool reads them: pending-review as done, "urgent" as 10', () => {
    expect(rewrite('{"kind":"task","id":"a","title":"A","status":"pending-review","priority":"urgent"}')).toBe('{"kind":"task","id":"a","title":"A","status":"done","priority":10}');
  });

  it('kind goes first when the line had none', () => {
    expect(rewrite('{"id":"a","title":"A","status":"open"}')).toBe('{"kind":"task","id":"a","title":"A","status":"open"}');
  });

  it('failure_class: the on-disk spelling only; a class the Rust tool does not know is folded into the reason', () => {
    const failed = (cls: string, reason?: string): Task => ({ kind: 'task', id: 'f', title: 'F', status: 'failed', priority: 10, failure_class: cls, ...(reason ? { failure_reason: reason } : {}) });
    expect(JSON.parse(serializeTask(failed('api-error-429-rate-limit', 'r')))).toMatchObject({ failure_class: 'api-error429-rate-limit', failure_reason: 'r' });
    expect(JSON.parse(serializeTask(failed('agent-died', 'agent agent-3 is gone; retries exhausted (3/3)')))).toMatchObject({ failure_reason: 'agent-died: agent agent-3 is gone; retries exhausted (3/3)' });
    expect(JSON.parse(serializeTask(failed('manual')))).toMatchObject({ failure_reason: 'manual' });
    expect(JSON.parse(serializeTask(failed('eval-rejected', 'eval-rejected: low score'))).failure_reason).toBe('eval-rejected: low score');
    for (const old of ['agent-died', 'agent-killed', 'eval-rejected', 'manual', 'whatever']) {
      const line = serializeTask(failed(old, 'why'));
      expect(JSON.parse(line).failure_class, old).toBeUndefined();
      expect(rustErrors(line), old).toEqual([]);
    }
    // A line an older wg wrote, rewritten for another reason (a log entry), becomes loadable.
    const old = '{"kind":"task","id":"f","title":"F","status":"failed","priority":10,"failure_reason":"gone","failure_class":"agent-died"}';
    expect(rustErrors(old)).toHaveLength(1);
    const out = rewrite(old, (t) => withFields(t, { log: [{ timestamp: 't', message: 'looked at it' }] }));
    expect(out).toBe('{"kind":"task","id":"f","title":"F","status":"failed","priority":10,"failure_reason":"agent-died: gone","log":[{"timestamp":"t","message":"looked at it"}]}');
  });

  it('failure class spellings: both accepted, the Rust CLI one displayed', () => {
    expect(parseFailureClass('api-error-400-document')).toBe('api-error400-document');
    expect(parseFailureClass('api-error400-document')).toBe('api-error400-document');
    expect(parseFailureClass('agent-hard-timeout')).toBe('agent-hard-timeout');
    expect(parseFailureClass('agent-died')).toBeUndefined();
    expect(parseFailureClass('API-ERROR-400-DOCUMENT')).toBeUndefined();
    expect(displayFailureClass('api-error5xx-transient')).toBe('api-error-5xx-transient');
    expect(FAILURE_CLASS_CHOICES).toEqual(['api-error-400-document', 'api-error-429-rate-limit', 'api-error-5xx-transient', 'agent-hard-timeout', 'agent-exit-nonzero', 'wrapper-internal']);
    expect(rustReadableFailure('agent-exit-nonzero', undefined)).toEqual({ failure_class: 'agent-exit-nonzero' });
  });
});

describe('property: any Rust-format line, read and rewritten after any edit, stays loadable and keeps its shape', () => {
  const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
  const ids = fc.uniqueArray(id, { maxLength: 3 });
  const unknownKey = fc.stringMatching(/^x_[a-z]{1,6}$/);
  /** One optional field of a Rust line: [key, value], keys unique per line. */
  const fields = fc.record(
    {
      status: fc.constantFrom(...RUST_STATUSES, 'pending-review'),
      priority: fc.oneof(fc.nat({ max: 200 }), fc.constantFrom('urgent', 'high', 2.5, -3, null)),
      deps: fc.tuple(fc.constantFrom('after', 'blocked_by'), ids),
      mirror: fc.tuple(fc.constantFrom('before', 'blocks'), ids),
      assigned: fc.option(id, { nil: null }),
      failure_class: fc.option(fc.constantFrom(...RUST_FAILURE_CLASSES), { nil: null }),
      failure_reason: fc.string({ maxLength: 8 }),
      log: fc.array(fc.record({ timestamp: fc.constant('2026-03-01T00:00:00+00:00'), actor: fc.option(id, { nil: null }), message: fc.string({ maxLength: 8 }) }, { requiredKeys: ['timestamp', 'message'] }), { maxLength: 2 }),
      tags: fc.array(id, { maxLength: 2 }),
      retry_count: fc.nat({ max: 5 }),
      paused: fc.boolean(),
      unknown: fc.tuple(unknownKey, fc.jsonValue({ maxDepth: 2 })),
    },
    { requiredKeys: [] },
  );
  const line = fc.tuple(id, fields).chain(([tid, f]) => {
    const entries: Array<[string, unknown]> = [['id', tid], ['title', `T ${tid}`], ['kind', 'task']];
    for (const [k, v] of Object.entries(f)) {
      if (k === 'deps' || k === 'mirror' || k === 'unknown') entries.push([(v as [string, unknown])[0], (v as [string, unknown])[1]]);
      else entries.push([k, v]);
    }
    return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((e) => JSON.stringify(Object.fromEntries(e)));
  });
  const edit = fc.record(
    {
      status: fc.constantFrom(...STATUSES),
      after: ids,
      before: ids,
      assigned: fc.option(id, { nil: undefined }),
      failure_class: fc.constantFrom(...FAILURE_CLASSES, 'agent-died', 'eval-rejected', 'api-error-400-document'),
      log: fc.constant(true),
      claim_epoch: fc.nat({ max: 9 }),
    },
    { requiredKeys: [] },
  );

  it('loadable by the Rust tool; the old keys keep their order; unchanged dependencies keep their spelling', () => {
    fc.assert(
      fc.property(line, edit, (text, e) => {
        expect(rustErrors(text)).toEqual([]); // the generator writes only what the Rust tool loads
        const old = JSON.parse(text) as Record<string, unknown>;
        const t = read(text);
        const patch: Partial<Task> = { ...e, log: e.log ? [...(t.log ?? []), { timestamp: '2026-03-02T00:00:00+00:00', message: 'edited' }] : t.log } as Partial<Task>;
        const out = serializeTask(withFields(t, patch), old);
        expect(rustErrors(out)).toEqual([]);
        const outKeys = keys(out);
        // The old keys that survive come first, in their old order (an alias counts as its field).
        const canon = (k: string): string => ({ blocked_by: 'after', blocks: 'before' })[k] ?? k;
        const survivors = outKeys.filter((k) => Object.keys(old).map(canon).includes(canon(k)) || k === 'kind');
        expect(outKeys.slice(0, survivors.length)).toEqual(survivors);
        const oldOrder = Object.keys(old).map(canon).filter((k) => survivors.map(canon).includes(k));
        expect(survivors.map(canon).filter((k) => k !== 'kind' || 'kind' in old)).toEqual(oldOrder);
        // Untouched dependencies keep the spelling they had.
        if (e.after === undefined && 'blocked_by' in old && (old.blocked_by as string[]).length) expect(outKeys).toContain('blocked_by');
        // And reading the new line gives the edited task back.
        const again = read(out);
        expect(again.after ?? []).toEqual(e.after ?? t.after ?? []);
        expect(again.status).toBe(e.status ?? t.status);
      }),
      { numRuns: 400 },
    );
  });
});

describe('one reading function: what reads a task sees blocked_by as after', () => {
  it("the agent prompt's dependency section lists a dependency spelled blocked_by", () => {
    const file = parseGraph(
      [
        '{"kind":"task","id":"schema","title":"Design the schema","status":"done","artifacts":["docs/schema.md"]}',
        '{"kind":"task","id":"store","title":"Build the store","status":"open","blocked_by":["schema"]}',
      ].join('\n'),
    );
    const g = new Graph(file.tasks);
    expect(g.get('store')!.after).toEqual(['schema']);
    expect(g.dependents('schema')).toEqual(['store']);
    const prompt = buildPrompt(g, g.get('store')!, 'agent-1');
    expect(prompt).toContain('## What your dependencies produced\n\n### schema (done): Design the schema\nArtifacts:\n- docs/schema.md');
  });
});
