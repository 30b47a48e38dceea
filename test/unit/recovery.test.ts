/**
 * The recovery plans (SPEC §5), pure and on a fixed clock: retry (every status, live/dead
 * agents, max_retries, debounce, eager downstream cleanup, companions untouched), reset,
 * recover (filters), requeue, kill-release and the reconciler.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import type { Graph } from '../../src/core/graph.js';
import type { AgentLiveness, LivenessMap } from '../../src/core/liveness.js';
import { crashBackoffMs, DEFAULT_MAX_RETRIES, requeueAfterDeath } from '../../src/core/plans/agent-death.js';
import { planReconcile, planReleaseClaims } from '../../src/core/plans/reconcile.js';
import { parseRecoverFilter, planRecover } from '../../src/core/plans/recover.js';
import { planKillRelease, planRequeue } from '../../src/core/plans/requeue.js';
import { parseDirection, planReset } from '../../src/core/plans/reset.js';
import { clearDownstreamStaleClaims, planRetry, RETRY_LOG_PREFIX, type RetryOptions } from '../../src/core/plans/retry.js';
import { STATUSES, type Status, type Task } from '../../src/core/task.js';
import { apply, dep, graph, iso, MIN, NOW, NOW_ISO, task, wgError, who, written } from './fixtures.js';

const lastLog = (t: Task): string | undefined => t.log?.[t.log.length - 1]?.message;
const live = (...ids: string[]): Array<[string, AgentLiveness]> => ids.map((id) => [id, { alive: true }]);
const dead = (id: string, reason = 'process 4242 is gone'): [string, AgentLiveness] => [id, { alive: false, reason }];
const liveness = (...entries: Array<[string, AgentLiveness]>): LivenessMap => new Map(entries);
const NONE: LivenessMap = new Map();
const OPTS: RetryOptions = { debounceMs: 10_000 };
const at = (offsetMs: number) => who({ now: new Date(NOW.getTime() + offsetMs) });

/** A failure fixture: every field retry must clear. */
const failed = (id: string, patch: Partial<Task> = {}): Task =>
  task(id, { status: 'failed', failure_reason: 'boom', failure_class: 'agent-exit-nonzero', assigned: 'agent-1', claim_epoch: 3, retry_count: 1, ...patch });

// ---------------------------------------------------------------------------------------------
describe('planRetry: statuses', () => {
  it('in-progress with a live agent: result.kill names it, open, claim cleared, epoch+1, retry_count+1', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-7', claim_epoch: 4, retry_count: 1, started_at: iso(-MIN) }));
    const p = planRetry(g, 'x', liveness(...live('agent-7')), who(), { ...OPTS, reason: 'hung' });
    expect(p.result.kill).toBe('agent-7');
    expect(p.result.noop).toBeUndefined();
    expect(p.result.cleared).toEqual([]);
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 5, retry_count: 2 });
    expect(t.assigned).toBeUndefined();
    expect(lastLog(t)).toBe(`${RETRY_LOG_PREFIX} from in-progress (attempt 3); killing agent-7 — reason: hung`);
    expect(t.log!.at(-1)).toMatchObject({ timestamp: NOW_ISO, actor: 'alice' });
    expect(p.ops).toEqual([{ op: 'retry', task_id: 'x', detail: { from: 'in-progress', retry_count: 2, released: 'agent-7', reason: 'hung', cleared: [] } }]);
    // the input graph is untouched
    expect(g.get('x')!.status).toBe('in-progress');
  });

  it('in-progress with a dead agent: released, nobody to kill', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-2', claim_epoch: 1 }));
    const p = planRetry(g, 'x', liveness(dead('agent-2')), who(), OPTS);
    expect(p.result.kill).toBeUndefined();
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 2, retry_count: 1 });
    expect(t.assigned).toBeUndefined();
    expect(lastLog(t)).toContain('releasing agent-2');
  });

  it('in-progress with an agent unknown to the registry: released, nobody to kill', () => {
    const p = planRetry(graph(task('x', { status: 'in-progress', assigned: 'agent-9', claim_epoch: 2 })), 'x', NONE, who(), OPTS);
    expect(p.result.kill).toBeUndefined();
    expect(written(p.writes, 'x')).toMatchObject({ status: 'open', claim_epoch: 3 });
  });

  it('in-progress held by a human: released, never "killed"', () => {
    const p = planRetry(graph(task('x', { status: 'in-progress', assigned: 'bob', claim_epoch: 1 })), 'x', liveness(...live('bob')), who(), OPTS);
    expect(p.result.kill).toBeUndefined();
    expect(written(p.writes, 'x').assigned).toBeUndefined();
  });

  it.each(['failed', 'incomplete'] as Status[])('%s: open, claim and failure fields cleared, retry_count+1, epoch+1', (status) => {
    const g = graph(failed('x', { status, ready_after: iso(MIN) }));
    const p = planRetry(g, 'x', liveness(dead('agent-1')), who(), OPTS);
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 4, retry_count: 2 });
    for (const f of ['assigned', 'failure_reason', 'failure_class', 'ready_after']) expect(t[f], f).toBeUndefined();
    expect(p.result.kill).toBeUndefined();
    expect(lastLog(t)).toBe(`${RETRY_LOG_PREFIX} from ${status} (attempt 3); releasing agent-1`);
  });

  it('a failed task without a claim still bumps the epoch (a fencing token change on every re-queue)', () => {
    const t = written(planRetry(graph(task('x', { status: 'failed' })), 'x', NONE, who(), OPTS).writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 1, retry_count: 1 });
  });

  it('open and unclaimed: a no-op success that says so', () => {
    const p = planRetry(graph(task('x')), 'x', NONE, who(), OPTS);
    expect(p.writes).toEqual([]);
    expect(p.ops).toEqual([]);
    expect(p.result.noop).toMatch(/already open and unclaimed/);
    expect(p.result.kill).toBeUndefined();
  });

  it('open but claimed by a dead agent (a stale claim): released', () => {
    const p = planRetry(graph(task('x', { assigned: 'agent-3', claim_epoch: 2 })), 'x', liveness(dead('agent-3')), who(), OPTS);
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 3, retry_count: 1 });
    expect(t.assigned).toBeUndefined();
    expect(lastLog(t)).toContain('from open (stale claim)');
  });

  it.each(['done', 'abandoned'] as Status[])('%s is refused with a message naming the status and the way out', (status) => {
    const err = wgError(() => planRetry(graph(task('x', { status })), 'x', NONE, who(), OPTS), 'invalid_transition', ExitCode.refused);
    expect(err.message).toBe(`task 'x' is ${status} — cannot retry it; use 'wg reset x' to reopen it`);
  });

  it('every other status is either re-queued or refused, never silently ignored', () => {
    for (const status of STATUSES) {
      const g = graph(task('x', { status, ...(status === 'open' ? {} : { assigned: 'agent-1', claim_epoch: 1 }) }));
      let outcome: string;
      try {
        const p = planRetry(g, 'x', liveness(...live('agent-1')), who(), OPTS);
        outcome = p.writes.length ? `requeued:${written(p.writes, 'x').status}` : 'noop';
      } catch (e) {
        outcome = `refused:${(e as Error).message.includes(`is ${status}`)}`;
      }
      const expected = status === 'open' ? 'noop' : ['in-progress', 'failed', 'incomplete'].includes(status) ? 'requeued:open' : 'refused:true';
      expect(`${status} → ${outcome}`).toBe(`${status} → ${expected}`);
    }
  });

  it('an unknown id is not_found with a suggestion', () => {
    const err = wgError(() => planRetry(graph(task('build-x')), 'build-y', NONE, who(), OPTS), 'not_found');
    expect(err.hint).toContain('build-x');
  });
});

describe('planRetry: max_retries', () => {
  it('refuses at retry_count ≥ max_retries, naming the limit; nothing written', () => {
    const g = graph(failed('x', { retry_count: 2, max_retries: 2 }));
    const err = wgError(() => planRetry(g, 'x', NONE, who(), OPTS), 'invalid_transition', ExitCode.refused);
    expect(err.message).toContain('max_retries 2');
    expect(err.message).toContain("task 'x'");
    expect(err.hint).toContain('--max-retries 3');
  });

  it('below the limit it works; the task field wins over the configured default', () => {
    expect(written(planRetry(graph(failed('x', { retry_count: 1, max_retries: 2 })), 'x', NONE, who(), OPTS).writes, 'x').retry_count).toBe(2);
    expect(written(planRetry(graph(failed('x', { retry_count: 5, max_retries: 9 })), 'x', NONE, who(), { ...OPTS, maxRetries: 1 }).writes, 'x').retry_count).toBe(6);
  });

  it('without max_retries on the task, the configured maxRetries, else the default, bounds it', () => {
    expect(wgError(() => planRetry(graph(failed('x', { retry_count: 1 })), 'x', NONE, who(), { ...OPTS, maxRetries: 1 }), 'invalid_transition').message).toContain('max_retries 1');
    const atDefault = failed('x', { retry_count: DEFAULT_MAX_RETRIES });
    expect(wgError(() => planRetry(graph(atDefault), 'x', NONE, who(), OPTS), 'invalid_transition').message).toContain(`max_retries ${DEFAULT_MAX_RETRIES}`);
  });

  it('max_retries 0 refuses the first retry', () => {
    expect(wgError(() => planRetry(graph(failed('x', { retry_count: undefined, max_retries: 0 })), 'x', NONE, who(), OPTS), 'invalid_transition').message).toContain('max_retries 0');
  });
});

describe('planRetry: idempotence (debounce)', () => {
  const hung = () => graph(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }));

  it('a second retry within debounceMs is a no-op that says so and names no agent to kill', () => {
    const first = planRetry(hung(), 'x', liveness(...live('agent-1')), who(), OPTS);
    expect(first.result.kill).toBe('agent-1');
    // The service respawned the task as agent-2 before the second retry arrives.
    let g = apply(hung(), first.writes);
    g = apply(g, [{ ...g.get('x')!, status: 'in-progress', assigned: 'agent-2', claim_epoch: 3 }]);
    const second = planRetry(g, 'x', liveness(dead('agent-1'), ...live('agent-2')), at(3_000), OPTS);
    expect(second.writes).toEqual([]);
    expect(second.ops).toEqual([]);
    expect(second.result.kill).toBeUndefined();
    expect(second.result.noop).toBe("'x' was retried 3s ago (within retry_debounce); nothing done");
    expect(second.result.task.assigned).toBe('agent-2');
  });

  it('just inside the window is still a no-op; at the end of the window a retry works again', () => {
    const first = planRetry(hung(), 'x', liveness(...live('agent-1')), who(), OPTS);
    let g = apply(hung(), first.writes);
    g = apply(g, [{ ...g.get('x')!, status: 'in-progress', assigned: 'agent-2', claim_epoch: 3 }]);
    const l = liveness(...live('agent-2'));
    expect(planRetry(g, 'x', l, at(9_999), OPTS).result.noop).toMatch(/within retry_debounce/);
    const later = planRetry(g, 'x', l, at(10_000), OPTS);
    expect(later.result.noop).toBeUndefined();
    expect(later.result.kill).toBe('agent-2');
    expect(written(later.writes, 'x')).toMatchObject({ status: 'open', claim_epoch: 4, retry_count: 2 });
  });

  it('the debounce is keyed on the retry log entry only: other recent log entries do not count', () => {
    const t = failed('x', { log: [{ timestamp: iso(-1_000), actor: 'service', message: 'Spawned agent-1 (executor shell)' }] });
    expect(planRetry(graph(t), 'x', NONE, who(), OPTS).result.noop).toBeUndefined();
  });

  it('debounceMs 0 disables the debounce', () => {
    const first = planRetry(graph(failed('x')), 'x', NONE, who(), { debounceMs: 0 });
    const g = apply(graph(failed('x')), first.writes);
    const again = apply(g, [{ ...g.get('x')!, status: 'failed' }]);
    expect(planRetry(again, 'x', NONE, who(), { debounceMs: 0 }).writes).toHaveLength(1);
  });
});

describe('planRetry: eager downstream cleanup', () => {
  /*
   * up (failed) ← a (open, claimed by dead agent-5) ← b (in-progress, unknown agent-6) ← c (open, live agent-7)
   *            ← h (in-progress, human bob)   ← d (done, dead agent-8)   ← s (.evaluate-up, system, dead agent-9)
   *            ← e (in-progress, live agent-4)
   *   unrelated u (open, dead agent-10)
   */
  const build = (): Graph =>
    graph(
      failed('up', { assigned: 'agent-1' }),
      dep('a', ['up'], { assigned: 'agent-5', claim_epoch: 2 }),
      dep('b', ['a'], { status: 'in-progress', assigned: 'agent-6', claim_epoch: 7 }),
      dep('c', ['b'], { assigned: 'agent-7', claim_epoch: 1 }),
      dep('h', ['up'], { status: 'in-progress', assigned: 'bob', claim_epoch: 1 }),
      dep('d', ['up'], { status: 'done', assigned: 'agent-8', claim_epoch: 1 }),
      dep('e', ['up'], { status: 'in-progress', assigned: 'agent-4', claim_epoch: 1 }),
      dep('.evaluate-up', ['up'], { assigned: 'agent-9', claim_epoch: 1 }),
      dep('.flip-up', ['up'], { status: 'failed', assigned: 'agent-9', claim_epoch: 1 }),
      task('.assign-up', { status: 'in-progress', assigned: 'agent-9', claim_epoch: 1 }),
      task('u', { assigned: 'agent-10', claim_epoch: 1 }),
    );
  const l = liveness(dead('agent-1'), dead('agent-5', 'process 55 is gone'), ...live('agent-7', 'agent-4'), dead('agent-8'), dead('agent-9'), dead('agent-10'));

  it('clears only dead/unknown-agent claims on non-system, non-terminal transitive dependents', () => {
    const p = planRetry(build(), 'up', l, who(), OPTS);
    expect(p.result.cleared.sort()).toEqual(['a', 'b']);
    expect(p.writes.map((w) => w.id).sort()).toEqual(['a', 'b', 'up']);
    const a = written(p.writes, 'a');
    expect(a).toMatchObject({ status: 'open', claim_epoch: 3 });
    expect(a.assigned).toBeUndefined();
    expect(lastLog(a)).toBe('stale claim cleared via retry of up (was agent-5, process 55 is gone)');
    const b = written(p.writes, 'b');
    expect(b).toMatchObject({ status: 'open', claim_epoch: 8 });
    expect(b.assigned).toBeUndefined();
    expect(lastLog(b)).toBe('stale claim cleared via retry of up (was agent-6, unknown to the registry)');
    // downstream clears are not re-queues: retry_count unchanged
    expect(a.retry_count).toBeUndefined();
    expect(p.ops[0]!.detail).toMatchObject({ cleared: expect.arrayContaining(['a', 'b']) });
  });

  it('leaves live agents, human claims, terminal tasks, system companions and unrelated tasks alone', () => {
    const g = build();
    const after = apply(g, planRetry(g, 'up', l, who(), OPTS).writes);
    for (const id of ['c', 'h', 'd', 'e', '.evaluate-up', '.flip-up', '.assign-up', 'u']) expect(after.get(id), id).toEqual(g.get(id));
  });

  it('never touches .evaluate-X/.flip-X/.assign-X, whatever their state', () => {
    for (const status of ['open', 'in-progress', 'failed', 'done'] as Status[]) {
      const companions = ['.evaluate-x', '.flip-x', '.assign-x'].map((id) => dep(id, ['x'], { status, assigned: 'agent-2', claim_epoch: 1, failure_reason: 'eval died' }));
      const g = graph(failed('x'), ...companions);
      const p = planRetry(g, 'x', liveness(dead('agent-2')), who(), OPTS);
      expect(p.writes.map((w) => w.id)).toEqual(['x']);
    }
  });

  it('a debounced retry clears nothing downstream', () => {
    const g = build();
    const once = apply(g, planRetry(g, 'up', l, who(), OPTS).writes);
    const stale = apply(once, [{ ...once.get('c')!, assigned: 'agent-11' }]);
    const p = planRetry(stale, 'up', l, at(1_000), OPTS);
    expect(p.writes).toEqual([]);
    expect(p.result.cleared).toEqual([]);
  });

  it('clearDownstreamStaleClaims alone: the seed itself is never in its output', () => {
    const g = graph(task('s', { assigned: 'agent-1' }), dep('t', ['s'], { assigned: 'agent-1' }));
    const w = clearDownstreamStaleClaims(g, 's', NONE, who(), 'msg');
    expect(w.map((t) => t.id)).toEqual(['t']);
    expect(lastLog(w[0]!)).toBe('msg (was agent-1, unknown to the registry)');
  });
});

// ---------------------------------------------------------------------------------------------
describe('planReset', () => {
  /* root ← mid ← leaf ; mid ← .evaluate-mid ; other ← root? no: root depends on base */
  const build = (): Graph =>
    graph(
      task('base', { status: 'done', completed_at: iso(-2 * MIN), claim_epoch: 1, assigned: 'alice' }),
      dep('root', ['base'], { status: 'failed', failure_reason: 'x', failure_class: 'manual', retry_count: 2, started_at: iso(-MIN), completed_at: iso(-MIN), claim_epoch: 4, assigned: 'agent-1', ready_after: iso(MIN) }),
      dep('mid', ['root'], { status: 'in-progress', assigned: 'agent-2', claim_epoch: 2, started_at: iso(-MIN) }),
      dep('leaf', ['mid'], { status: 'abandoned', failure_reason: 'gave up' }),
      dep('.evaluate-mid', ['mid'], { status: 'in-progress', assigned: 'agent-3', claim_epoch: 1 }),
      task('side'),
    );
  const l = liveness(dead('agent-1'), ...live('agent-2', 'agent-3'));

  it('forward (default direction): the seed and its dependents, minus system tasks', () => {
    const p = planReset(build(), 'root', 'forward', l, who());
    expect(p.result.entries.map((e) => e.id)).toEqual(['root', 'mid', 'leaf']);
    expect(p.writes.map((w) => w.id)).toEqual(['root', 'mid', 'leaf']);
    expect(p.result.kill).toEqual(['agent-2']);
    expect(p.result.entries[1]).toEqual({ id: 'mid', from: 'in-progress', assigned: 'agent-2', kill: 'agent-2' });
    expect(p.result.entries[0]).toEqual({ id: 'root', from: 'failed', assigned: 'agent-1' });
  });

  it('backward: the seed and its dependencies', () => {
    const p = planReset(build(), 'mid', 'backward', l, who());
    expect(p.result.entries.map((e) => e.id).sort()).toEqual(['base', 'mid', 'root']);
  });

  it('both: dependencies and dependents; still no system task, nothing unrelated', () => {
    const p = planReset(build(), 'root', 'both', l, who());
    expect(p.result.entries.map((e) => e.id).sort()).toEqual(['base', 'leaf', 'mid', 'root']);
    expect(p.writes.some((w) => w.id.startsWith('.') || w.id === 'side')).toBe(false);
    expect(p.result.kill).toEqual(['agent-2']);
  });

  it('every task in the closure: open, claim cleared, epoch+1, counters/timestamps/failure fields cleared, logged', () => {
    const g = build();
    const p = planReset(g, 'root', 'both', l, who());
    for (const t of p.writes) {
      expect(t.status, t.id).toBe('open');
      for (const f of ['assigned', 'retry_count', 'started_at', 'completed_at', 'failure_reason', 'failure_class', 'ready_after']) expect(t[f], `${t.id}.${f}`).toBeUndefined();
      expect(t.claim_epoch, t.id).toBe((g.get(t.id)!.claim_epoch ?? 0) + 1);
      expect(lastLog(t)).toMatch(/^Reset via 'wg reset root' \(was /);
    }
    expect(lastLog(written(p.writes, 'mid'))).toBe("Reset via 'wg reset root' (was in-progress, claimed by agent-2)");
    expect(p.ops).toEqual([{ op: 'reset', task_id: 'root', detail: { direction: 'both', tasks: p.result.entries.map((e) => e.id) } }]);
  });

  it('a system seed resets nothing; an unknown seed is not_found', () => {
    expect(planReset(build(), '.evaluate-mid', 'forward', l, who()).writes).toEqual([]);
    wgError(() => planReset(build(), 'nope', 'forward', l, who()), 'not_found');
  });

  it('parseDirection accepts the three directions; anything else is a usage error (exit 2)', () => {
    expect(['forward', 'backward', 'both'].map(parseDirection)).toEqual(['forward', 'backward', 'both']);
    wgError(() => parseDirection('up'), 'invalid_argument', ExitCode.usage);
  });
});

// ---------------------------------------------------------------------------------------------
describe('planRecover', () => {
  const build = (): Graph =>
    graph(
      task('f1', { status: 'failed', failure_reason: 'API error 429: rate limit', retry_count: 0, tags: ['api'], assigned: 'agent-1', claim_epoch: 2 }),
      task('f2', { status: 'failed', failure_reason: 'exit code 1', retry_count: 2, tags: ['build'] }),
      task('f3', { status: 'failed', failure_reason: 'Rate Limit hit', retry_count: 5 }),
      task('ok', { status: 'done' }),
      task('inc', { status: 'incomplete', retry_count: 1 }),
      task('op', { status: 'open' }),
      task('.evaluate-f1', { status: 'failed' }),
      task('.flip-f1', { status: 'failed' }),
      task('.assign-f1', { status: 'done' }),
      task('.evaluate-f2', { status: 'open' }),
    );
  const run = (filters: string[], extra: Partial<{ keepAgency: boolean; maxAttempts: number; reason: string }> = {}) =>
    planRecover(build(), { filters, keepAgency: false, maxAttempts: 10, ...extra }, who());

  it('default (no status filter) is status=failed; re-queues: open, claim/failure cleared, retry_count+1', () => {
    const p = run([]);
    expect(p.result.recovered).toEqual(['f1', 'f2', 'f3']);
    const f1 = written(p.writes, 'f1');
    expect(f1).toMatchObject({ status: 'open', retry_count: 1, claim_epoch: 3 });
    for (const f of ['assigned', 'failure_reason', 'failure_class']) expect(f1[f]).toBeUndefined();
    expect(lastLog(f1)).toBe("Re-queued by 'wg recover' (was failed: API error 429: rate limit)");
    expect(written(p.writes, 'f2').retry_count).toBe(3);
  });

  it('system tasks are never recovered themselves', () => {
    expect(run(['status=failed']).result.recovered.some((id) => id.startsWith('.'))).toBe(false);
  });

  it.each([
    [['id=f2'], ['f2']],
    [['id-prefix=f'], ['f1', 'f2', 'f3']],
    [['tag=api'], ['f1']],
    [['attempts<=2'], ['f1', 'f2']],
    [['attempts<2'], ['f1']],
    [['attempts>=2'], ['f2', 'f3']],
    [['attempts>2'], ['f3']],
    [['attempts=2'], ['f2']],
    [['attempts==0'], ['f1']],
    [['error~rate limit'], ['f1', 'f3']],
    [['error~EXIT CODE'], ['f2']],
    [['id-prefix=f', 'attempts<=2', 'error~rate'], ['f1']],
  ])('filter %j recovers %j', (filters, expected) => {
    expect(run(filters).result.recovered).toEqual(expected);
  });

  it('status=incomplete recovers incomplete tasks; status=done matches but skips them (not failed)', () => {
    expect(run(['status=incomplete']).result.recovered).toEqual(['inc']);
    const p = run(['status=done']);
    expect(p.result.recovered).toEqual([]);
    expect(p.result.skipped).toEqual([{ id: 'ok', why: 'is done, not failed' }]);
    expect(p.writes).toEqual([]);
  });

  it('--max-attempts skips tasks already re-queued that many times', () => {
    const p = run([], { maxAttempts: 2 });
    expect(p.result.recovered).toEqual(['f1']);
    expect(p.result.skipped.map((s) => s.id)).toEqual(['f2', 'f3']);
    expect(p.result.skipped[0]!.why).toContain('--max-attempts 2');
  });

  it('failed companions are abandoned unless keepAgency; non-failed companions are never touched', () => {
    const p = run(['id=f1']);
    expect(p.result.abandoned).toEqual(['.evaluate-f1', '.flip-f1']);
    expect(written(p.writes, '.evaluate-f1').status).toBe('abandoned');
    expect(lastLog(written(p.writes, '.flip-f1'))).toBe("Abandoned by 'wg recover' of 'f1'");
    expect(p.writes.find((w) => w.id === '.assign-f1')).toBeUndefined();
    const p2 = run(['id=f2']);
    expect(p2.result.abandoned).toEqual([]);

    const kept = run(['id=f1'], { keepAgency: true });
    expect(kept.result.abandoned).toEqual([]);
    expect(kept.writes.map((w) => w.id)).toEqual(['f1']);
  });

  it('--reason goes into the log entry', () => {
    expect(lastLog(written(run(['id=f2'], { reason: 'provider back' }).writes, 'f2'))).toBe("Re-queued by 'wg recover' (was failed: exit code 1) — reason: provider back");
  });

  it('parse errors are usage errors (exit 2)', () => {
    for (const bad of ['status=nope', 'attempts<=x', 'attempts~3', 'color=red', 'error~', '', 'id=']) {
      wgError(() => parseRecoverFilter(bad), 'invalid_argument', ExitCode.usage);
      wgError(() => run([bad]), 'invalid_argument', ExitCode.usage);
    }
  });

  it('parseRecoverFilter reports the status of a status filter', () => {
    expect(parseRecoverFilter('status=failed').status).toBe('failed');
    expect(parseRecoverFilter(' tag=x ').status).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
describe('planRequeue', () => {
  it('in-progress → open, claim cleared, epoch+1, started_at cleared, retry_count+1, reason logged', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 5, started_at: iso(-MIN), retry_count: 1 }));
    const p = planRequeue(g, 'x', 'provider outage', who());
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 6, retry_count: 2 });
    expect(t.assigned).toBeUndefined();
    expect(t.started_at).toBeUndefined();
    expect(lastLog(t)).toBe('Requeued: provider outage (was agent-3)');
    expect(p.result.was).toBe('agent-3');
    expect(p.ops).toEqual([{ op: 'requeue', task_id: 'x', detail: { reason: 'provider outage', was: 'agent-3' } }]);
  });

  it('an empty reason is a usage error', () => {
    wgError(() => planRequeue(graph(task('x', { status: 'in-progress' })), 'x', '  ', who()), 'invalid_argument', ExitCode.usage);
  });

  it.each(['open', 'failed', 'done', 'abandoned', 'incomplete'] as Status[])('%s is refused (only in-progress)', (status) => {
    const err = wgError(() => planRequeue(graph(task('x', { status })), 'x', 'r', who()), 'invalid_transition', ExitCode.refused);
    expect(err.message).toContain(`is ${status}`);
  });
});

describe('planKillRelease', () => {
  const g = () => graph(task('x', { status: 'in-progress', assigned: 'agent-4', claim_epoch: 2 }));

  it('releases the agent’s task and pauses it', () => {
    const p = planKillRelease(g(), 'x', 'agent-4', false, who());
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 3, paused: true });
    expect(t.assigned).toBeUndefined();
    expect(lastLog(t)).toContain('released and paused (wg resume x)');
    expect(p.ops).toEqual([{ op: 'kill', task_id: 'x', detail: { agent: 'agent-4', redispatch: false } }]);
  });

  it('--redispatch releases without pausing', () => {
    const t = written(planKillRelease(g(), 'x', 'agent-4', true, who()).writes, 'x');
    expect(t.status).toBe('open');
    expect(t.paused).toBeUndefined();
    expect(lastLog(t)).toContain('released for redispatch');
  });

  it('does nothing when the task moved on to another holder, or is gone', () => {
    expect(planKillRelease(g(), 'x', 'agent-1', false, who()).writes).toEqual([]);
    expect(planKillRelease(g(), 'ghost', 'agent-4', false, who()).writes).toEqual([]);
  });

  it('a failed task keeps its status (only the claim goes)', () => {
    const t = written(planKillRelease(graph(task('x', { status: 'failed', assigned: 'agent-4' })), 'x', 'agent-4', true, who()).writes, 'x');
    expect(t.status).toBe('failed');
    expect(t.assigned).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
describe('planReconcile', () => {
  const svc = () => who({ actor: 'service', user: undefined });

  it('reclaims open AND in-progress tasks whose agent is dead or unknown; human claims untouched', () => {
    const g = graph(
      task('ip-dead', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 3 }),
      task('open-dead', { assigned: 'agent-2', claim_epoch: 1 }),
      task('ip-unknown', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 1 }),
      task('ip-live', { status: 'in-progress', assigned: 'agent-4', claim_epoch: 1 }),
      task('human', { status: 'in-progress', assigned: 'bob', claim_epoch: 1 }),
      task('human-open', { assigned: 'carol', claim_epoch: 1 }),
      task('failed-dead', { status: 'failed', assigned: 'agent-1', claim_epoch: 1 }),
      task('done-dead', { status: 'done', assigned: 'agent-1', claim_epoch: 1 }),
    );
    const p = planReconcile(g, liveness(dead('agent-1', 'process 11 is gone'), dead('agent-2', 'lease expired'), ...live('agent-4')), svc());
    expect(p.result.reclaimed.map((c) => c.task_id)).toEqual(['ip-dead', 'open-dead', 'ip-unknown']);
    expect(p.writes.map((w) => w.id)).toEqual(['ip-dead', 'open-dead', 'ip-unknown']);
    const a = written(p.writes, 'ip-dead');
    expect(a).toMatchObject({ status: 'open', claim_epoch: 4, retry_count: 1 });
    expect(a.assigned).toBeUndefined();
    expect(a.ready_after).toBeUndefined(); // the first death respawns at once
    expect(lastLog(a)).toBe('stale claim cleared: agent agent-1 process 11 is gone');
    expect(a.log!.at(-1)!.actor).toBe('service');
    expect(lastLog(written(p.writes, 'open-dead'))).toBe('stale claim cleared: agent agent-2 lease expired');
    expect(lastLog(written(p.writes, 'ip-unknown'))).toBe('stale claim cleared: agent agent-3 is unknown to the agent registry');
    expect(p.result.reclaimed[0]).toEqual({ task_id: 'ip-dead', agent: 'agent-1', reason: 'process 11 is gone', failed: false, retry_count: 1 });
    expect(p.ops.map((o) => o.op)).toEqual(['reclaim', 'reclaim', 'reclaim']);
  });

  it('nothing stale: no writes', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-1' }), task('y'));
    expect(planReconcile(g, liveness(...live('agent-1')), svc()).writes).toEqual([]);
  });

  it('the 2nd+ death sets a crash-loop backoff (ready_after), doubling', () => {
    const g = graph(
      task('d2', { status: 'in-progress', assigned: 'agent-1', retry_count: 1 }),
      task('d3', { status: 'in-progress', assigned: 'agent-1', retry_count: 2, max_retries: 10 }),
    );
    const p = planReconcile(g, NONE, svc(), { backoffBaseMs: 1000 });
    const d2 = written(p.writes, 'd2');
    expect(d2).toMatchObject({ status: 'open', retry_count: 2, ready_after: iso(crashBackoffMs(2)) });
    expect(d2.ready_after).toBe(iso(2_000));
    expect(written(p.writes, 'd3').ready_after).toBe(iso(4_000));
    expect(lastLog(d2)).toContain(`crash-loop backoff until ${iso(2_000)}`);
    expect(p.result.reclaimed[0]!.ready_after).toBe(iso(2_000));
  });

  it('past max_retries the task fails, without a failure class (the Rust tool has none for a vanished agent): the reason says it', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-1', retry_count: 2, max_retries: 2, claim_epoch: 6 }));
    const p = planReconcile(g, liveness(dead('agent-1', 'process 9 is gone')), svc());
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'failed', retry_count: 3, claim_epoch: 7, completed_at: NOW_ISO });
    expect(t.failure_class).toBeUndefined();
    expect(t.assigned).toBeUndefined();
    expect(t.failure_reason).toBe('agent agent-1 process 9 is gone; retries exhausted (2/2)');
    expect(lastLog(t)).toBe('stale claim cleared: agent agent-1 process 9 is gone; failed after 2 retries');
    expect(p.result.reclaimed[0]).toMatchObject({ failed: true, retry_count: 3 });
  });

  it('the configured maxRetries applies when the task has none; a custom failure class is honoured', () => {
    const t = task('x', { status: 'in-progress', assigned: 'agent-1', retry_count: 1 });
    expect(written(planReconcile(graph(t), NONE, svc(), { maxRetries: 1 }).writes, 'x').status).toBe('failed');
    expect(written(planReconcile(graph(t), NONE, svc(), { maxRetries: 5 }).writes, 'x').status).toBe('open');
    expect(requeueAfterDeath(t, 'agent-1', 'x', svc(), { maxRetries: 0, failureClass: 'agent-exit-nonzero' }).task.failure_class).toBe('agent-exit-nonzero');
  });

  it('applying the plan twice is a no-op the second time (idempotent)', () => {
    const g = graph(task('x', { status: 'in-progress', assigned: 'agent-1' }));
    const once = apply(g, planReconcile(g, NONE, svc()).writes);
    expect(planReconcile(once, NONE, svc()).writes).toEqual([]);
  });

  it('planReleaseClaims releases the named agents’ claims without counting a death', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }), task('b', { status: 'in-progress', assigned: 'agent-2' }), task('c', { status: 'in-progress', assigned: 'bob' }));
    const p = planReleaseClaims(g, new Set(['agent-1', 'bob']), 'service stopped', svc());
    expect(p.result.released).toEqual(['a']);
    const a = written(p.writes, 'a');
    expect(a).toMatchObject({ status: 'open', claim_epoch: 2 });
    expect(a.retry_count).toBeUndefined();
  });
});
