import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planArtifact, planLog, planPause } from '../../src/core/plans/annotate.js';
import { planClaim, planClaimNext, planUnclaim } from '../../src/core/plans/claim.js';
import { planAddDep, planRmDep } from '../../src/core/plans/deps.js';
import { planEdit } from '../../src/core/plans/edit.js';
import { planAbandon, planDone, planFail } from '../../src/core/plans/finish.js';
import { requireTask } from '../../src/core/plan.js';
import { FAILURE_CLASSES, serializeTask, type Status } from '../../src/core/task.js';
import { apply, dep, graph, HOUR, iso, NOW, NOW_ISO, task, wgError, who, written } from './fixtures.js';

const lastLog = (t: { log?: Array<{ message: string }> }): string | undefined => t.log?.[t.log.length - 1]?.message;

describe('requireTask', () => {
  it('returns the task or throws not_found with a suggestion', () => {
    const g = graph(task('build-widget'));
    expect(requireTask(g, 'build-widget').id).toBe('build-widget');
    const err = wgError(() => requireTask(g, 'build-widgte'), 'not_found', ExitCode.refused);
    expect(err.message).toBe("task 'build-widgte' not found");
    expect(err.hint).toContain("did you mean 'build-widget'");
    const err2 = wgError(() => requireTask(g, 'zzzzzzzzzzzzzzzz'), 'not_found');
    expect(err2.hint).toContain('wg list');
  });
});

describe('claim', () => {
  it.each(['open', 'incomplete'] as Status[])('claims a ready %s task: in-progress, assigned, epoch+1, started_at, log', (status) => {
    const g = graph(task('a', { status, claim_epoch: 4 }));
    const p = planClaim(g, 'a', who());
    expect(p.writes).toHaveLength(1);
    const t = written(p.writes, 'a');
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'alice', claim_epoch: 5, started_at: NOW_ISO });
    expect(t.log).toEqual([{ timestamp: NOW_ISO, actor: 'alice', user: 'alice', message: 'Task claimed by alice' }]);
    expect(p.result).toEqual({ task: t, already: false });
    expect(p.ops).toEqual([{ op: 'claim', task_id: 'a', detail: { actor: 'alice', epoch: 5 } }]);
    // the input graph is not mutated
    expect(g.get('a')!.status).toBe(status);
  });

  it('a first claim sets claim_epoch 1', () => {
    const p = planClaim(graph(task('a')), 'a', who());
    expect(p.result.task.claim_epoch).toBe(1);
  });

  it('refuses a task that is not ready, naming its blockers', () => {
    const g = graph(task('x'), task('y', { status: 'failed' }), dep('a', ['x', 'y', 'ghost']));
    const err = wgError(() => planClaim(g, 'a', who()), 'not_ready', ExitCode.refused);
    expect(err.message).toBe("task 'a' is not ready: x (open), y (failed), ghost (missing)");
    expect(err.hint).toContain('--force');
  });

  it('refuses a paused or time-gated task', () => {
    expect(wgError(() => planClaim(graph(task('a', { paused: true })), 'a', who()), 'not_ready').message).toContain('paused');
    expect(wgError(() => planClaim(graph(task('a', { not_before: iso(HOUR) })), 'a', who()), 'not_ready').message).toContain('not before');
  });

  it('--force claims a task that is not ready', () => {
    const g = graph(task('x'), dep('a', ['x']));
    const p = planClaim(g, 'a', who(), { force: true });
    expect(p.result.task).toMatchObject({ status: 'in-progress', assigned: 'alice', claim_epoch: 1 });
  });

  it('refuses a task claimed by another actor (even with --force)', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'bob', claim_epoch: 2 }));
    const err = wgError(() => planClaim(g, 'a', who()), 'invalid_transition', ExitCode.refused);
    expect(err.message).toBe("task 'a' is already claimed by bob (epoch 2)");
    wgError(() => planClaim(g, 'a', who(), { force: true }), 'invalid_transition');
  });

  it('re-claim by the same actor is a no-op', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'alice', claim_epoch: 2 }));
    const p = planClaim(g, 'a', who());
    expect(p.writes).toEqual([]);
    expect(p.ops).toEqual([]);
    expect(p.result).toEqual({ task: g.get('a'), already: true });
  });

  it('refuses an open task still assigned to someone else unless --force', () => {
    const g = graph(task('a', { assigned: 'bob', claim_epoch: 1 }));
    expect(wgError(() => planClaim(g, 'a', who()), 'invalid_transition').message).toContain('bob');
    expect(planClaim(g, 'a', who(), { force: true }).result.task).toMatchObject({ assigned: 'alice', claim_epoch: 2 });
  });

  it.each([
    ['done', 'wg reset a'],
    ['failed', 'wg retry a'],
    ['abandoned', 'wg reset a'],
    ['pending-eval', 'wg approve a'],
    ['pending-validation', 'wg approve a'],
    ['waiting', 'waiting'],
  ] as Array<[Status, string]>)('refuses a %s task with a helpful one-line error', (status, help) => {
    const err = wgError(() => planClaim(graph(task('a', { status })), 'a', who(), { force: true }), 'invalid_transition', 1);
    expect(err.message).toContain(`task 'a' is ${status}`);
    expect(err.message).toContain(help);
    expect(err.message).not.toContain('\n');
  });

  it('unknown task → not_found', () => {
    wgError(() => planClaim(graph(task('a')), 'b', who()), 'not_found');
  });
});

describe('claim --next', () => {
  it('takes the highest-priority ready task, then file order', () => {
    const g = graph(task('low', { priority: 1 }), task('hi1', { priority: 50 }), task('hi2', { priority: 50 }), task('mid'));
    const p = planClaimNext(g, who());
    expect(p.result?.task).toMatchObject({ id: 'hi1', status: 'in-progress', assigned: 'alice', claim_epoch: 1, started_at: NOW_ISO });
    expect(p.writes.map((w) => w.id)).toEqual(['hi1']);
    expect(p.ops[0]).toMatchObject({ op: 'claim', task_id: 'hi1', detail: { next: true } });
  });

  it('skips claimed, not-ready and system-blocked tasks; prefers fewer dispatches', () => {
    const g = graph(
      task('claimed', { priority: 99, status: 'in-progress', assigned: 'bob' }),
      task('stale-assigned', { priority: 98, assigned: 'bob' }),
      task('paused', { priority: 97, paused: true }),
      dep('blocked', ['ghost'], { priority: 96 }),
      task('many', { priority: 5, dispatch_count: 3 }),
      task('few', { priority: 5, dispatch_count: 1 }),
    );
    expect(planClaimNext(g, who()).result?.task.id).toBe('few');
  });

  it('sequential claims hand out different tasks', () => {
    let g = graph(task('a'), task('b'), task('c'));
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = planClaimNext(g, who({ actor: `agent-${i}` }));
      if (!p.result) break;
      got.push(p.result.task.id);
      g = apply(g, p.writes);
    }
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('nothing ready → undefined result and no writes', () => {
    const p = planClaimNext(graph(task('a', { status: 'done' }), dep('b', ['ghost'])), who());
    expect(p).toEqual({ writes: [], ops: [], result: undefined });
    expect(planClaimNext(graph(), who()).result).toBeUndefined();
  });
});

describe('unclaim', () => {
  it('in-progress → open, assigned cleared, epoch+1, logged', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'bob', claim_epoch: 3, started_at: iso(-HOUR) }));
    const p = planUnclaim(g, 'a', who(), 'stuck');
    const t = written(p.writes, 'a');
    expect(t.status).toBe('open');
    expect('assigned' in t).toBe(false);
    expect(t.claim_epoch).toBe(4);
    expect(lastLog(t)).toBe('Task unclaimed (was bob): stuck');
    expect(p.result.was).toBe('bob');
  });

  it('an open, unassigned task is a no-op', () => {
    const p = planUnclaim(graph(task('a', { claim_epoch: 2 })), 'a', who());
    expect(p.writes).toEqual([]);
  });

  it('an open task with a stale assignment is released (epoch+1)', () => {
    const p = planUnclaim(graph(task('a', { assigned: 'bob', claim_epoch: 2 })), 'a', who());
    expect(p.result.task).toMatchObject({ status: 'open', claim_epoch: 3 });
    expect(p.result.task.assigned).toBeUndefined();
  });

  it.each(['done', 'failed', 'abandoned', 'pending-eval'] as Status[])('refuses a %s task', (status) => {
    wgError(() => planUnclaim(graph(task('a', { status })), 'a', who()), 'invalid_transition');
  });
});

describe('done', () => {
  it.each(['in-progress', 'open', 'incomplete', 'waiting'] as Status[])('%s → done, completed_at set, claim kept', (status) => {
    const g = graph(task('a', { status, assigned: 'alice', claim_epoch: 2 }));
    const p = planDone(g, 'a', who());
    const t = written(p.writes, 'a');
    expect(t).toMatchObject({ status: 'done', completed_at: NOW_ISO, assigned: 'alice', claim_epoch: 2 });
    expect(lastLog(t)).toBe('Task marked as done');
    expect(p.result).toEqual({ task: t, already: false, reopened: [] });
    expect(p.ops).toEqual([{ op: 'done', task_id: 'a', detail: { status: 'done' } }]);
  });

  it('refuses a failed task, pointing at wg retry', () => {
    const err = wgError(() => planDone(graph(task('a', { status: 'failed' })), 'a', who()), 'invalid_transition', ExitCode.refused);
    expect(err.message).toContain('failed');
    expect(err.message).toContain("wg retry a");
  });

  it('refuses an abandoned task', () => {
    const err = wgError(() => planDone(graph(task('a', { status: 'abandoned' })), 'a', who()), 'invalid_transition');
    expect(err.message).toContain('abandoned');
  });

  it('refuses unmet dependencies, naming them with their status', () => {
    const g = graph(task('x'), task('y', { status: 'failed' }), task('z', { status: 'done' }), task('w', { status: 'abandoned' }), dep('a', ['x', 'y', 'z', 'w', 'ghost'], { status: 'in-progress' }));
    const err = wgError(() => planDone(g, 'a', who()), 'not_ready', 1);
    expect(err.message).toBe("task 'a' cannot be done: waiting on x (open), y (failed), ghost (missing)");
  });

  it('done on a done task is a no-op success', () => {
    const g = graph(task('a', { status: 'done', completed_at: iso(-HOUR) }));
    const p = planDone(g, 'a', who());
    expect(p.writes).toEqual([]);
    expect(p.result.already).toBe(true);
  });

  it('goes to pending-eval while .evaluate-X is pending', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'alice' }), dep('.evaluate-a', ['a']));
    const p = planDone(g, 'a', who());
    expect(p.result.task.status).toBe('pending-eval');
    expect(lastLog(p.result.task)).toContain('.evaluate-a');
    expect(p.ops[0]!.detail).toEqual({ status: 'pending-eval' });
    // again: no-op
    const p2 = planDone(apply(g, p.writes), 'a', who());
    expect(p2.writes).toEqual([]);
    expect(p2.result.already).toBe(true);
  });

  it('a terminal .evaluate-X does not hold the task in pending-eval', () => {
    const g = graph(task('a', { status: 'in-progress' }), task('.evaluate-a', { status: 'done' }));
    expect(planDone(g, 'a', who()).result.task.status).toBe('done');
  });

  it('a system task is never held in pending-eval', () => {
    const g = graph(task('.x', { status: 'in-progress' }), task('.evaluate-.x'));
    expect(planDone(g, '.x', who()).result.task.status).toBe('done');
  });

  it('a system task may complete on a pending-eval dependency', () => {
    const g = graph(task('a', { status: 'pending-eval' }), dep('.evaluate-a', ['a'], { status: 'in-progress' }));
    expect(planDone(g, '.evaluate-a', who()).result.task.status).toBe('done');
  });

  it('--converged adds the converged tag once', () => {
    const g = graph(task('a', { status: 'in-progress', tags: ['x'] }), task('b', { status: 'in-progress', tags: ['converged'] }));
    const p = planDone(g, 'a', who(), { converged: true });
    expect(p.result.task.tags).toEqual(['x', 'converged']);
    expect(lastLog(p.result.task)).toBe('Task marked as done (converged)');
    expect(planDone(g, 'b', who(), { converged: true }).result.task.tags).toEqual(['converged']);
  });

  it('without --converged the tags are untouched', () => {
    const p = planDone(graph(task('a', { status: 'in-progress' })), 'a', who());
    expect(p.result.task.tags).toBeUndefined();
  });
});

describe('fail', () => {
  it.each(['open', 'in-progress', 'incomplete', 'waiting', 'blocked', 'pending-eval'] as Status[])('%s → failed with reason and class', (status) => {
    const g = graph(task('a', { status, assigned: 'alice', claim_epoch: 1 }));
    const p = planFail(g, 'a', who(), { reason: 'boom', failureClass: 'wrapper-internal' });
    const t = written(p.writes, 'a');
    expect(t).toMatchObject({ status: 'failed', failure_reason: 'boom', failure_class: 'wrapper-internal', assigned: 'alice', claim_epoch: 1, completed_at: NOW_ISO });
    expect(lastLog(t)).toBe('Task marked as failed: boom');
  });

  it('accepts the six classes of the Rust tool in both spellings, and keeps the on-disk one', () => {
    for (const c of FAILURE_CLASSES) expect(planFail(graph(task('a')), 'a', who(), { failureClass: c }).result.task.failure_class).toBe(c);
    expect(planFail(graph(task('a')), 'a', who(), { failureClass: 'api-error-429-rate-limit' }).result.task.failure_class).toBe('api-error429-rate-limit');
    expect(planFail(graph(task('a')), 'a', who(), { failureClass: 'api-error-5xx-transient' }).result.task.failure_class).toBe('api-error5xx-transient');
    expect(planFail(graph(task('a')), 'a', who(), { failureClass: 'api-error400-document' }).result.task.failure_class).toBe('api-error400-document');
  });

  it('fail on a failed task is a no-op', () => {
    const p = planFail(graph(task('a', { status: 'failed', failure_reason: 'old' })), 'a', who(), { reason: 'new' });
    expect(p.writes).toEqual([]);
    expect(p.result.already).toBe(true);
  });

  it.each(['done', 'abandoned'] as Status[])('refuses a %s task', (status) => {
    const err = wgError(() => planFail(graph(task('a', { status })), 'a', who()), 'invalid_transition', 1);
    expect(err.message).toContain(status);
  });

  it('an unknown failure class is a usage error (exit 2), nothing written', () => {
    const err = wgError(() => planFail(graph(task('a')), 'a', who(), { failureClass: 'cosmic-rays' }), 'invalid_argument', ExitCode.usage);
    expect(err.message).toContain('cosmic-rays');
    expect(err.hint).toBe('use one of: api-error-400-document, api-error-429-rate-limit, api-error-5xx-transient, agent-hard-timeout, agent-exit-nonzero, wrapper-internal — or describe the cause with --reason');
    // The classes older wg builds wrote are causes, not classes the Rust tool can read.
    for (const old of ['manual', 'agent-died', 'agent-killed', 'eval-rejected']) wgError(() => planFail(graph(task('a')), 'a', who(), { failureClass: old }), 'invalid_argument', ExitCode.usage);
  });

  it('keeps an earlier reason/class when none is given', () => {
    const p = planFail(graph(task('a', { failure_reason: 'r0', failure_class: 'agent-died' })), 'a', who());
    expect(p.result.task).toMatchObject({ failure_reason: 'r0', failure_class: 'agent-died' });
    expect(lastLog(p.result.task)).toBe('Task marked as failed');
  });
});

describe('abandon', () => {
  it.each(['open', 'in-progress', 'failed', 'pending-eval', 'incomplete'] as Status[])('%s → abandoned', (status) => {
    const p = planAbandon(graph(task('a', { status })), 'a', who(), { reason: 'obsolete' });
    expect(p.result.task).toMatchObject({ status: 'abandoned', failure_reason: 'obsolete' });
    expect(lastLog(p.result.task)).toBe('Task abandoned: obsolete');
  });
  it('refuses a done task', () => {
    const err = wgError(() => planAbandon(graph(task('a', { status: 'done' })), 'a', who()), 'invalid_transition');
    expect(err.message).toContain('done');
  });
  it('abandon on an abandoned task is a no-op', () => {
    const p = planAbandon(graph(task('a', { status: 'abandoned' })), 'a', who());
    expect(p.writes).toEqual([]);
    expect(p.result.already).toBe(true);
  });
  it('an abandoned dependency unblocks its dependents', () => {
    let g = graph(task('a'), dep('b', ['a']));
    g = apply(g, planAbandon(g, 'a', who()).writes);
    expect(planClaim(g, 'b', who()).result.task.status).toBe('in-progress');
  });
});

describe('log / artifact', () => {
  it('log appends an entry (timestamp, actor, user, message) in that key order', () => {
    const g = graph(task('a', { log: [{ timestamp: 't0', message: 'first' }] }));
    const p = planLog(g, 'a', 'hello', who({ actor: 'bob', user: 'carol' }));
    const t = written(p.writes, 'a');
    expect(t.log).toHaveLength(2);
    expect(t.log![1]).toEqual({ timestamp: NOW_ISO, actor: 'bob', user: 'carol', message: 'hello' });
    expect(Object.keys(t.log![1]!)).toEqual(['timestamp', 'actor', 'user', 'message']);
    expect(p.ops).toEqual([{ op: 'log', task_id: 'a', detail: { message: 'hello' } }]);
  });
  it('log entry omits user when unknown', () => {
    const p = planLog(graph(task('a')), 'a', 'x', { now: NOW, actor: 'bob' });
    expect(p.result.task.log![0]).toEqual({ timestamp: NOW_ISO, actor: 'bob', message: 'x' });
  });
  it('log works on any status and refuses an empty message', () => {
    expect(planLog(graph(task('a', { status: 'done' })), 'a', 'late note', who()).writes).toHaveLength(1);
    wgError(() => planLog(graph(task('a')), 'a', '   ', who()), 'invalid_argument', 2);
    wgError(() => planLog(graph(task('a')), 'b', 'x', who()), 'not_found');
  });
  it('artifact add / duplicate no-op / remove / remove-missing no-op', () => {
    let g = graph(task('a'));
    const p1 = planArtifact(g, 'a', 'out/report.md', who());
    expect(p1.result.changed).toBe(true);
    expect(p1.result.task.artifacts).toEqual(['out/report.md']);
    expect(lastLog(p1.result.task)).toBe('Artifact recorded: out/report.md');
    g = apply(g, p1.writes);
    expect(planArtifact(g, 'a', 'out/report.md', who())).toMatchObject({ writes: [], result: { changed: false } });
    const p2 = planArtifact(g, 'a', 'out/report.md', who(), { remove: true });
    expect(p2.result.task.artifacts ?? []).toEqual([]);
    expect(serializeTask(p2.result.task)).not.toContain('artifacts');
    expect(p2.ops[0]!.op).toBe('artifact_rm');
    expect(planArtifact(apply(g, p2.writes), 'a', 'out/report.md', who(), { remove: true }).writes).toEqual([]);
    wgError(() => planArtifact(g, 'a', ' ', who()), 'invalid_argument', 2);
  });
});

describe('pause / resume', () => {
  it('pause sets paused, keeps status; resume removes the field', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'bob' }));
    const p = planPause(g, 'a', who(), true);
    expect(p.result.task).toMatchObject({ status: 'in-progress', paused: true, assigned: 'bob' });
    expect(lastLog(p.result.task)).toBe('Task paused');
    const g2 = apply(g, p.writes);
    expect(planPause(g2, 'a', who(), true).writes).toEqual([]);
    const r = planPause(g2, 'a', who(), false);
    expect('paused' in r.result.task).toBe(false);
    expect(r.result.task.status).toBe('in-progress');
    expect(lastLog(r.result.task)).toBe('Task resumed');
    expect(planPause(apply(g2, r.writes), 'a', who(), false).writes).toEqual([]);
  });
  it('a paused task becomes claimable after resume', () => {
    let g = graph(task('a', { paused: true }));
    wgError(() => planClaim(g, 'a', who()), 'not_ready');
    g = apply(g, planPause(g, 'a', who(), false).writes);
    expect(planClaim(g, 'a', who()).result.task.status).toBe('in-progress');
  });
});

describe('add', () => {
  it('derives the id from the title and fills defaults', () => {
    const p = planAdd(graph(), { title: '  Fix (bug) #123!  ' }, who());
    const t = p.result.task;
    expect(t).toEqual({
      kind: 'task',
      id: 'fix-bug-123',
      title: 'Fix (bug) #123!',
      status: 'open',
      priority: 10,
      created_at: NOW_ISO,
      log: [{ timestamp: NOW_ISO, actor: 'alice', user: 'alice', message: 'Task added' }],
    });
    expect(p.result.generatedId).toBe(true);
    expect(p.writes).toEqual([t]);
    expect(p.ops).toEqual([{ op: 'add_task', task_id: 'fix-bug-123', detail: { title: 'Fix (bug) #123!' } }]);
  });

  it('collisions get -2, -3', () => {
    let g = graph();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = planAdd(g, { title: 'Build widget' }, who());
      ids.push(p.result.task.id);
      g = apply(g, p.writes);
    }
    expect(ids).toEqual(['build-widget', 'build-widget-2', 'build-widget-3']);
  });

  it('--id overrides; an existing --id is refused; an invalid --id is a usage error', () => {
    const g = graph(task('taken'));
    const p = planAdd(g, { title: 'Whatever', id: 'mine' }, who());
    expect(p.result).toMatchObject({ task: { id: 'mine' }, generatedId: false });
    const err = wgError(() => planAdd(g, { title: 'X', id: 'taken' }, who()), 'already_exists', 1);
    expect(err.message).toBe("task 'taken' already exists");
    wgError(() => planAdd(g, { title: 'X', id: '../evil' }, who()), 'invalid_argument', 2);
    wgError(() => planAdd(g, { title: 'X', id: 'Upper' }, who()), 'invalid_argument', 2);
  });

  it('refuses an empty title', () => {
    wgError(() => planAdd(graph(), { title: '' }, who()), 'invalid_argument', 2);
    wgError(() => planAdd(graph(), { title: '   ' }, who()), 'invalid_argument', 2);
  });

  it('maintains the before backlinks of its dependencies', () => {
    const g = graph(task('a', { before: ['z'] }), task('b'), task('z', { after: ['a'] }));
    const p = planAdd(g, { title: 'New', id: 'n', after: ['a', 'b', 'a'] }, who());
    expect(p.result.task.after).toEqual(['a', 'b']);
    expect(written(p.writes, 'a').before).toEqual(['z', 'n']);
    expect(written(p.writes, 'b').before).toEqual(['n']);
    // new task is written last
    expect(p.writes[p.writes.length - 1]!.id).toBe('n');
  });

  it('refuses a phantom dependency with a suggestion, unless allowPhantom', () => {
    const g = graph(task('build-widget'));
    const err = wgError(() => planAdd(g, { title: 'X', after: ['build-widgit'] }, who()), 'not_found', 1);
    expect(err.message).toBe("dependency 'build-widgit' does not exist");
    expect(err.hint).toContain("did you mean 'build-widget'");
    const p = planAdd(g, { title: 'X', after: ['later-task'], allowPhantom: true }, who());
    expect(p.result.task.after).toEqual(['later-task']);
    expect(p.writes.map((w) => w.id)).toEqual(['x']);
    // phantom ids must still be valid ids
    wgError(() => planAdd(g, { title: 'X', after: ['../x'], allowPhantom: true }, who()), 'invalid_argument', 2);
  });

  it('a new task named by earlier phantom dependencies gets them as `before`', () => {
    const g = graph(dep('waiter', ['later']), dep('waiter2', ['later']));
    const p = planAdd(g, { title: 'Later', id: 'later' }, who());
    expect(p.result.task.before).toEqual(['waiter', 'waiter2']);
  });

  it('refuses a phantom-closed unconfigured cycle', () => {
    const g = graph(dep('waiter', ['later']));
    wgError(() => planAdd(g, { title: 'Later', id: 'later', after: ['waiter'] }, who()), 'cycle');
  });

  it('refuses a self-dependency', () => {
    const g = graph(task('a'));
    expect(wgError(() => planAdd(g, { title: 'S', id: 's', after: ['s'] }, who()), 'invalid_argument', 2).message).toContain('itself');
  });

  it('records optional fields', () => {
    const p = planAdd(
      graph(),
      {
        title: 'T',
        description: 'd',
        tags: ['x', 'y', 'x'],
        priority: 3,
        exec: 'make test',
        model: 'm',
        maxRetries: 2,
        timeout: '10m',
        paused: true,
        notBefore: new Date(NOW.getTime() + HOUR),
        deliverables: ['out.txt'],
      },
      who(),
    );
    expect(p.result.task).toMatchObject({
      description: 'd',
      tags: ['x', 'y'],
      priority: 3,
      exec: 'make test',
      exec_mode: 'shell',
      model: 'm',
      max_retries: 2,
      timeout: '10m',
      paused: true,
      not_before: iso(HOUR),
      deliverables: ['out.txt'],
    });
    expect(lastLog(p.result.task)).toBe('Task added (paused draft)');
  });

  it('priority 0 is kept, not defaulted', () => {
    expect(planAdd(graph(), { title: 'T', priority: 0 }, who()).result.task.priority).toBe(0);
  });

  it('--max-iterations with --after makes a configured loop (back-edge on the dependency)', () => {
    const g = graph(task('ext', { status: 'done' }), dep('write', ['ext']));
    const p = planAdd(g, { title: 'Review', id: 'review', after: ['write'], cycle: { max_iterations: 3 } }, who());
    const review = written(p.writes, 'review');
    const write = written(p.writes, 'write');
    expect(review).toMatchObject({ after: ['write'], before: ['write'], cycle_config: { max_iterations: 3 } });
    expect(write).toMatchObject({ after: ['ext', 'review'], before: ['review'] });
    const g2 = apply(g, p.writes);
    const cycle = g2.cycleAnalysis().cycleOf.get('review');
    expect(cycle).toMatchObject({ members: ['review', 'write'], header: 'write', configOwner: 'review' });
    // write runs first (its wait on review is the back-edge), review after it
    expect(planClaimNext(g2, who()).result?.task.id).toBe('write');
  });
});

describe('edit', () => {
  it('no change → no writes', () => {
    const g = graph(task('a', { title: 'Same', priority: 5, tags: ['x'], after: ['b'] }), task('b', { before: ['a'] }));
    const p = planEdit(g, 'a', { title: 'Same', priority: 5, addTags: ['x'], addAfter: ['b'], removeAfter: ['zzz'], removeTags: ['nope'] }, who());
    expect(p.writes).toEqual([]);
    expect(p.ops).toEqual([]);
    expect(p.result.changed).toEqual([]);
    expect(planEdit(g, 'a', {}, who()).writes).toEqual([]);
  });

  it('changes fields and logs which', () => {
    const g = graph(task('a', { tags: ['x', 'y'] }));
    const p = planEdit(g, 'a', { title: 'New', priority: 1, addTags: ['z'], removeTags: ['x'], description: 'd', exec: 'run' }, who());
    expect(p.result.task).toMatchObject({ title: 'New', priority: 1, tags: ['y', 'z'], description: 'd', exec: 'run', exec_mode: 'shell' });
    expect(p.result.changed).toEqual(['title', 'description', 'priority', 'exec', 'exec_mode', 'tags']);
    expect(lastLog(p.result.task)).toBe('Edited: title, description, priority, exec, exec_mode, tags');
    expect(p.writes).toHaveLength(1);
  });

  it('clearing optional fields removes them', () => {
    const g = graph(task('a', { description: 'd', model: 'm', tags: ['x'], not_before: iso(HOUR) }));
    const p = planEdit(g, 'a', { description: '', model: '', removeTags: ['x'], notBefore: null }, who());
    for (const f of ['description', 'model', 'tags', 'not_before']) expect(f in p.result.task).toBe(false);
  });

  it('refuses an empty title', () => {
    wgError(() => planEdit(graph(task('a')), 'a', { title: ' ' }, who()), 'invalid_argument', 2);
  });

  it('add-after / remove-after keep `before` consistent', () => {
    const g = graph(task('a', { after: ['b'] }), task('b', { before: ['a', 'other'] }), task('c'));
    const p = planEdit(g, 'a', { addAfter: ['c'], removeAfter: ['b'] }, who());
    expect(written(p.writes, 'a').after).toEqual(['c']);
    expect(written(p.writes, 'b').before).toEqual(['other']);
    expect(written(p.writes, 'c').before).toEqual(['a']);
    expect(p.writes[0]!.id).toBe('a');
  });

  it('removing the last dependency removes the after field', () => {
    const g = graph(task('a', { after: ['b'] }), task('b', { before: ['a'] }));
    const p = planEdit(g, 'a', { removeAfter: ['b'] }, who());
    expect(written(p.writes, 'a').after).toBeUndefined();
    expect(written(p.writes, 'b').before ?? []).toEqual([]);
    expect(serializeTask(written(p.writes, 'b'))).not.toContain('before');
  });

  it('adding and removing the same dependency in one edit leaves no dangling backlink', () => {
    const g = graph(task('a'), task('c'));
    const p = planEdit(g, 'a', { title: 'Renamed', addAfter: ['c'], removeAfter: ['c'] }, who());
    const after = apply(g, p.writes);
    expect(after.get('a')!.after).toBeUndefined();
    expect(after.get('c')!.before ?? []).toEqual([]);
    expect(p.writes.map((w) => w.id)).toEqual(['a']);
  });

  it('refuses an unconfigured cycle', () => {
    const g = graph(task('a'), dep('b', ['a'], { before: [] }), dep('c', ['b']));
    const err = wgError(() => planEdit(g, 'a', { addAfter: ['c'] }, who()), 'cycle', 1);
    expect(err.message).toContain('a → b → c');
  });

  it('allows a cycle when the edit adds a cycle_config', () => {
    const g = graph(task('a'), dep('b', ['a']));
    const p = planEdit(g, 'a', { addAfter: ['b'], cycle: { max_iterations: 2 } }, who());
    expect(p.result.task).toMatchObject({ after: ['b'], cycle_config: { max_iterations: 2 } });
  });

  it('refuses a self-dependency and phantom dependencies (unless allowed)', () => {
    const g = graph(task('a'), task('build-widget'));
    wgError(() => planEdit(g, 'a', { addAfter: ['a'] }, who()), 'invalid_argument', 2);
    expect(wgError(() => planEdit(g, 'a', { addAfter: ['build-widgit'] }, who()), 'not_found').hint).toContain('build-widget');
    expect(planEdit(g, 'a', { addAfter: ['future'], allowPhantom: true }, who()).result.task.after).toEqual(['future']);
    wgError(() => planEdit(g, 'a', { addAfter: ['Bad/Id'] }, who()), 'invalid_argument', 2);
  });

  it('not_before is stored as RFC 3339 UTC', () => {
    const p = planEdit(graph(task('a')), 'a', { notBefore: new Date(NOW.getTime() + HOUR) }, who());
    expect(p.result.task.not_before).toBe(iso(HOUR));
  });
});

describe('add-dep / rm-dep', () => {
  it('add-dep writes both sides and is idempotent', () => {
    let g = graph(task('a'), task('b'));
    const p = planAddDep(g, 'a', 'b', who());
    expect(p.result.changed).toBe(true);
    expect(written(p.writes, 'a').after).toEqual(['b']);
    expect(written(p.writes, 'b').before).toEqual(['a']);
    g = apply(g, p.writes);
    expect(planAddDep(g, 'a', 'b', who())).toEqual({ writes: [], ops: [], result: { changed: false } });
  });

  it('add-dep repairs a half-written mirror', () => {
    const g = graph(task('a', { after: ['b'] }), task('b'));
    const p = planAddDep(g, 'a', 'b', who());
    expect(p.writes.map((w) => w.id)).toEqual(['b']);
    expect(written(p.writes, 'b').before).toEqual(['a']);
  });

  it('add-dep refuses self, unknown tasks and an unconfigured cycle', () => {
    const g = graph(task('a'), dep('b', ['a'], { before: [] }));
    wgError(() => planAddDep(g, 'a', 'a', who()), 'invalid_argument', 2);
    wgError(() => planAddDep(g, 'a', 'ghost', who()), 'not_found');
    wgError(() => planAddDep(g, 'ghost', 'a', who()), 'not_found');
    wgError(() => planAddDep(g, 'a', 'b', who()), 'cycle');
  });

  it('add-dep allows a cycle through a configured member', () => {
    const g = graph(task('a', { cycle_config: { max_iterations: 2 } }), dep('b', ['a']));
    expect(planAddDep(g, 'a', 'b', who()).result.changed).toBe(true);
  });

  it('rm-dep removes both sides, is idempotent, and works for a phantom dependency', () => {
    let g = graph(dep('a', ['b', 'ghost']), task('b', { before: ['a'] }));
    const p = planRmDep(g, 'a', 'b', who());
    expect(written(p.writes, 'a').after).toEqual(['ghost']);
    expect(written(p.writes, 'b').before ?? []).toEqual([]);
    g = apply(g, p.writes);
    expect(planRmDep(g, 'a', 'b', who())).toEqual({ writes: [], ops: [], result: { changed: false } });
    const p2 = planRmDep(g, 'a', 'ghost', who());
    expect(written(p2.writes, 'a').after ?? []).toEqual([]);
    wgError(() => planRmDep(g, 'nope', 'b', who()), 'not_found');
  });

  it('removing a dependency makes the dependent ready', () => {
    let g = graph(task('a'), dep('b', ['a']));
    expect(planClaimNext(g, who({ actor: 'x' })).result?.task.id).toBe('a');
    g = apply(g, planRmDep(g, 'b', 'a', who()).writes);
    const ready = planClaimNext(apply(g, [task('a', { status: 'in-progress', assigned: 'x' })]), who()).result?.task.id;
    expect(ready).toBe('b');
  });
});

describe('claim_epoch: every change of ownership increments it', () => {
  it('claim → unclaim → claim → unclaim', () => {
    let g = graph(task('a'));
    const epochs: number[] = [];
    for (const step of ['claim', 'unclaim', 'claim', 'unclaim'] as const) {
      const p = step === 'claim' ? planClaim(g, 'a', who()) : planUnclaim(g, 'a', who());
      g = apply(g, p.writes);
      epochs.push(g.get('a')!.claim_epoch!);
    }
    expect(epochs).toEqual([1, 2, 3, 4]);
  });

  it('non-ownership changes (log, artifact, pause, done, fail) keep the epoch', () => {
    const g = graph(task('a', { status: 'in-progress', assigned: 'alice', claim_epoch: 7 }));
    expect(planLog(g, 'a', 'x', who()).result.task.claim_epoch).toBe(7);
    expect(planArtifact(g, 'a', 'p', who()).result.task.claim_epoch).toBe(7);
    expect(planPause(g, 'a', who(), true).result.task.claim_epoch).toBe(7);
    expect(planDone(g, 'a', who()).result.task.claim_epoch).toBe(7);
    expect(planFail(g, 'a', who()).result.task.claim_epoch).toBe(7);
  });

  it('a loop re-open of a claimed task increments it; an unclaimed member keeps it', () => {
    const g = graph(
      dep('a', ['b'], { status: 'done', assigned: 'agent-1', claim_epoch: 3, cycle_config: { max_iterations: 5 } }),
      dep('b', ['a'], { status: 'in-progress', assigned: 'agent-2', claim_epoch: 8 }),
      dep('c', [], { status: 'done', claim_epoch: 2 }),
    );
    const p = planDone(g, 'b', who({ actor: 'agent-2' }));
    expect(p.result.reopened).toEqual(['a', 'b']);
    expect(written(p.writes, 'a')).toMatchObject({ status: 'open', claim_epoch: 4 });
    expect(written(p.writes, 'b')).toMatchObject({ status: 'open', claim_epoch: 9 });
    expect(written(p.writes, 'a').assigned).toBeUndefined();
  });
});
