/**
 * The agent's work loop in the pure core (issue 11): wait conditions (parse, evaluate, park,
 * resume), checkpoints, incomplete, the human gates (done → pending-validation, approve, reject
 * with its bound, publish), `next` ranking and its atomic claim, subtasks, message rules, and
 * the context view. Injected clock; no disk.
 */
import { describe, expect, it } from 'vitest';
import { buildContext, discover } from '../../src/core/context.js';
import { rejections, requiresValidation, validationFromFlag, withValidationSection } from '../../src/core/gates.js';
import { awaitingHuman } from '../../src/core/human.js';
import { arrivedSince, isHumanSender, unreadAfter, type Message } from '../../src/core/messages.js';
import { planAdd, planAddSubtask } from '../../src/core/plans/add.js';
import { planDone } from '../../src/core/plans/finish.js';
import { planApprove, planPublish, planReject } from '../../src/core/plans/gate.js';
import { planNext, rankNext } from '../../src/core/plans/next.js';
import { planCheckpoint, planIncomplete } from '../../src/core/plans/progress.js';
import { planResumeWaiting, planWait } from '../../src/core/plans/wait.js';
import { planAgentExit } from '../../src/core/plans/agent-death.js';
import { planStopAgents } from '../../src/core/plans/stop-agents.js';
import { conditionHolds, describeWait, filePathsIn, nextTimerMs, parkedAt, parseUntil, readWaitSpec, waitHolds, type WaitInputs } from '../../src/core/wait.js';
import { agent, apply, dep, graph, HOUR, iso, MIN, NOW, task, wgError, who, written } from './fixtures.js';

const noInputs = (patch: Partial<WaitInputs> = {}): WaitInputs => ({ now: NOW, messages: new Map(), mtimes: new Map(), ...patch });
const msg = (id: number, sender: string, offsetMs: number, body = 'hi'): Message => ({ id, sender, body, timestamp: iso(offsetMs), priority: 'normal' });

describe('wait conditions', () => {
  const g = graph(task('a'), task('b', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 2 }));

  it('parses every form into the Rust tool’s shape', () => {
    expect(parseUntil('task:a', g, 'b', NOW, new Map())).toEqual({ mode: 'all', conditions: [{ type: 'task-status', task_id: 'a', status: 'done' }] });
    expect(parseUntil('task:a=failed', g, 'b', NOW, new Map()).conditions[0]).toEqual({ type: 'task-status', task_id: 'a', status: 'failed' });
    expect(parseUntil('timer:5m', g, 'b', NOW, new Map()).conditions[0]).toEqual({ type: 'timer', resume_after: iso(5 * MIN) });
    expect(parseUntil('timer:2026-03-21T00:00:00Z', g, 'b', NOW, new Map()).conditions[0]).toEqual({ type: 'timer', resume_after: '2026-03-21T00:00:00.000Z' });
    expect(parseUntil('message|human-input', g, 'b', NOW, new Map())).toEqual({ mode: 'any', conditions: [{ type: 'message' }, { type: 'human-input' }] });
    expect(parseUntil('file:/x/y', g, 'b', NOW, new Map([['/x/y', 42]])).conditions[0]).toEqual({ type: 'file-changed', path: '/x/y', mtime_at_wait: 42 });
    expect(filePathsIn('task:a, file:/p|q')).toEqual(['/p|q'.split('|')[0]!]);
  });

  it('refuses bad conditions with a usage error or a missing task', () => {
    wgError(() => parseUntil('task:a,message|timer:1m', g, 'b', NOW, new Map()), 'invalid_argument', 2);
    wgError(() => parseUntil('soon', g, 'b', NOW, new Map()), 'invalid_argument', 2);
    wgError(() => parseUntil('timer:later', g, 'b', NOW, new Map()), 'invalid_argument', 2);
    wgError(() => parseUntil('task:b', g, 'b', NOW, new Map()), 'invalid_argument', 2);
    wgError(() => parseUntil('task:a=finished', g, 'b', NOW, new Map()), 'invalid_argument', 2);
    expect(wgError(() => parseUntil('task:aa', g, 'b', NOW, new Map()), 'not_found').hint).toContain("'a'");
  });

  it('evaluates each condition from data: task status, the clock, messages, file times; all vs any', () => {
    const t = task('w', { status: 'waiting' });
    const gg = graph(task('a', { status: 'done' }), t);
    expect(conditionHolds({ type: 'task-status', task_id: 'a', status: 'done' }, t, gg, noInputs())).toBe(true);
    expect(conditionHolds({ type: 'timer', resume_after: iso(1) }, t, gg, noInputs())).toBe(false);
    expect(conditionHolds({ type: 'timer', resume_after: iso(0) }, t, gg, noInputs())).toBe(true);
    expect(conditionHolds({ type: 'message' }, t, gg, noInputs({ messages: new Map([['w', { any: true, human: false }]]) }))).toBe(true);
    expect(conditionHolds({ type: 'human-input' }, t, gg, noInputs({ messages: new Map([['w', { any: true, human: false }]]) }))).toBe(false);
    expect(conditionHolds({ type: 'file-changed', path: '/f', mtime_at_wait: 1 }, t, gg, noInputs({ mtimes: new Map([['/f', 1]]) }))).toBe(false);
    expect(conditionHolds({ type: 'file-changed', path: '/f', mtime_at_wait: 0 }, t, gg, noInputs({ mtimes: new Map([['/f', 7]]) }))).toBe(true);
    const both = { mode: 'all' as const, conditions: [{ type: 'task-status' as const, task_id: 'a', status: 'done' as const }, { type: 'timer' as const, resume_after: iso(HOUR) }] };
    expect(waitHolds(both, t, gg, noInputs())).toBe(false);
    expect(waitHolds({ ...both, mode: 'any' }, t, gg, noInputs())).toBe(true);
    expect(describeWait(both)).toBe(`task:a=done, timer:${iso(HOUR)}`);
    expect(readWaitSpec({ mode: 'sometimes', conditions: [] })).toBeUndefined();
  });
});

describe('wg wait: park, release the slot, resume', () => {
  const running = task('w', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4, started_at: iso(-HOUR) });
  const spec = { mode: 'all' as const, conditions: [{ type: 'task-status' as const, task_id: 'dep', status: 'done' as const }] };

  it('parks: waiting, condition and checkpoint stored, claim released with epoch+1; the parked agent is fenced out', () => {
    const g = graph(task('dep'), running);
    const p = planWait(g, 'w', spec, 'task:dep', agent('agent-3', 'w', 4), { checkpoint: 'half done' });
    const t = written(p.writes, 'w');
    expect(t).toMatchObject({ status: 'waiting', wait_condition: spec, checkpoint: 'half done', claim_epoch: 5 });
    expect(t.assigned).toBeUndefined();
    expect(t.log!.at(-1)!.message).toBe('Agent parked. Waiting for: task:dep');
    expect(p.result.was).toBe('agent-3');
    // Its next write (a log, a done) is refused: the claim is gone.
    wgError(() => planDone(apply(g, p.writes), 'w', agent('agent-3', 'w', 4)), 'claim_lost', 3);
    // Only in-progress tasks park; a zombie cannot park a task it lost.
    wgError(() => planWait(graph(task('dep'), task('w')), 'w', spec, 'task:dep', who()), 'invalid_transition');
    wgError(() => planWait(g, 'w', spec, 'task:dep', agent('agent-3', 'w', 3)), 'claim_lost', 3);
  });

  it('resumes exactly the waiting tasks whose condition holds, back to open, checkpoint kept', () => {
    const parked = apply(graph(task('dep'), running), planWait(graph(task('dep'), running), 'w', spec, 'task:dep', agent('agent-3', 'w', 4), { checkpoint: 'cp' }).writes);
    expect(planResumeWaiting(parked, noInputs(), who()).writes).toEqual([]);
    const depDone = apply(parked, [task('dep', { status: 'done' })]);
    const p = planResumeWaiting(depDone, noInputs(), who());
    const t = written(p.writes, 'w');
    expect(t).toMatchObject({ status: 'open', checkpoint: 'cp', claim_epoch: 6 });
    expect(t.wait_condition).toBeUndefined();
    expect(t.log!.at(-1)!.message).toBe('Wait condition met (task:dep=done): task resumed');
    // A waiting task without a readable condition (parked by hand) is left to a human.
    expect(planResumeWaiting(graph(task('x', { status: 'waiting' })), noInputs(), who()).writes).toEqual([]);
  });

  it('the service passes the waiting ids it keeps: only those are looked at; a timer says when to wake', () => {
    const timer = (ms: number) => ({ mode: 'any' as const, conditions: [{ type: 'timer' as const, resume_after: iso(ms) }] });
    const g = graph(task('a', { status: 'waiting', wait_condition: timer(-MIN) }), task('b', { status: 'waiting', wait_condition: timer(-MIN) }), task('c', { status: 'open' }));
    expect(planResumeWaiting(g, noInputs(), who(), ['a', 'c', 'gone']).result.resumed.map((r) => r.id)).toEqual(['a']);
    expect(planResumeWaiting(g, noInputs(), who()).result.resumed.map((r) => r.id)).toEqual(['a', 'b']);
    const both = { mode: 'all' as const, conditions: [...timer(2 * HOUR).conditions, ...timer(HOUR).conditions, ...timer(-HOUR).conditions, ...spec.conditions] };
    expect(nextTimerMs(both, NOW.getTime())).toBe(NOW.getTime() + HOUR);
    expect(nextTimerMs(timer(-HOUR), NOW.getTime())).toBeUndefined();
    expect(nextTimerMs(undefined, NOW.getTime())).toBeUndefined();
  });

  it('an agent that parked (or handed back) its task and lingers gets kill_grace, like a finished one; anyone else’s move is a lost claim', () => {
    const parked = apply(graph(task('dep'), running), planWait(graph(task('dep'), running), 'w', spec, 'task:dep', agent('agent-3', 'w', 4)).writes);
    const run = [{ agent: 'agent-3', task: 'w', epoch: 4 }];
    const first = planStopAgents(parked, run, NOW.getTime(), 5000, {});
    expect(first.kills).toEqual([]);
    expect(first.result.wakeAtMs).toBe(NOW.getTime() + 5000);
    expect(planStopAgents(parked, run, NOW.getTime() + 5000, 5000, first.result.terminalSince).result.stop).toEqual([{ agent: 'agent-3', task: 'w', reason: 'task-terminal' }]);
    // Handed back with `wg incomplete` and already re-dispatched to the next agent: still its grace.
    const incomplete = apply(graph(running), planIncomplete(graph(running), 'w', 'again', agent('agent-3', 'w', 4)).writes);
    const next = apply(incomplete, [{ ...incomplete.get('w')!, status: 'in-progress', assigned: 'agent-4', claim_epoch: 6, log: [...incomplete.get('w')!.log!, { timestamp: iso(0), actor: 'service', message: 'Spawned agent-4' }] }]);
    expect(planStopAgents(next, run, NOW.getTime(), 5000, {}).kills).toEqual([]);
    // Someone else took the claim away (a human's unclaim): stopped at once.
    const unclaimed = apply(graph(running), [{ ...running, status: 'open', assigned: undefined, claim_epoch: 5, log: [{ timestamp: iso(0), actor: 'alice', message: 'unclaimed' }] }]);
    expect(planStopAgents(unclaimed, run, NOW.getTime(), 5000, {}).result.stop).toEqual([{ agent: 'agent-3', task: 'w', reason: 'claim-lost' }]);
  });

  it('a clean exit takes what the service found outside the lock: a failed verify fails the task; notes go into the done', () => {
    const g = graph(running);
    const failed = planAgentExit(g, 'w', 'agent-3', 4, { kind: 'exited', code: 0 }, who(), { verifyFailed: 'Verify failed (exit 1, 0.1s): make test — 2 failing' });
    expect(failed.result.action).toBe('failed');
    expect(written(failed.writes, 'w')).toMatchObject({ status: 'failed', failure_reason: 'Verify failed (exit 1, 0.1s): make test — 2 failing' });
    const done = planAgentExit(g, 'w', 'agent-3', 4, { kind: 'exited', code: 0 }, who(), { notes: ['Verify passed', 'Merged wg/agent-3/w into main (fast-forward, abc)'] });
    expect(done.result.action).toBe('done');
    expect(written(done.writes, 'w').log!.map((e) => e.message)).toEqual(expect.arrayContaining(['Verify passed', 'Merged wg/agent-3/w into main (fast-forward, abc)']));
    // A non-zero exit ignores a verify verdict: it failed on its own.
    expect(written(planAgentExit(g, 'w', 'agent-3', 4, { kind: 'exited', code: 2 }, who(), { verifyFailed: 'x' }).writes, 'w').failure_reason).toBe('agent agent-3 exited with code 2');
  });

  it('a message condition counts messages after the park, not the parking agent’s own', () => {
    const t = task('w', { status: 'waiting', log: [{ timestamp: iso(-MIN), actor: 'agent-3', message: 'Agent parked. Waiting for: message' }] });
    const at = parkedAt(t);
    expect(at).toEqual({ at: new Date(iso(-MIN)), by: 'agent-3' });
    expect(arrivedSince([msg(1, 'alice', -2 * MIN), msg(2, 'agent-3', 0)], at.at, at.by)).toEqual({ any: false, human: false });
    expect(arrivedSince([msg(3, 'agent-5', 0)], at.at, at.by)).toEqual({ any: true, human: false });
    expect(arrivedSince([msg(4, 'alice', 0)], at.at, at.by)).toEqual({ any: true, human: true });
  });
});

describe('checkpoint and incomplete', () => {
  const running = task('t', { status: 'in-progress', assigned: 'agent-2', claim_epoch: 1 });

  it('a checkpoint is stored on the task and logged; fenced; refused on finished work', () => {
    const p = planCheckpoint(graph(running), 't', 'parsed A and B\nnext: C', agent('agent-2', 't', 1), { files: ['a.ts'] });
    expect(written(p.writes, 't').checkpoint).toBe('parsed A and B\nnext: C');
    expect(written(p.writes, 't').log!.at(-1)!.message).toBe('Checkpoint: parsed A and B (files: a.ts)');
    wgError(() => planCheckpoint(graph(running), 't', 'x', agent('agent-2', 't', 0)), 'claim_lost', 3);
    wgError(() => planCheckpoint(graph(task('t', { status: 'done' })), 't', 'x', who()), 'invalid_transition');
    wgError(() => planCheckpoint(graph(running), 't', '  ', who()), 'invalid_argument', 2);
  });

  it('incomplete releases the claim and counts an attempt; past max_retries it fails', () => {
    const p = planIncomplete(graph(running), 't', 'tests left', agent('agent-2', 't', 1), { maxRetries: 2 });
    expect(written(p.writes, 't')).toMatchObject({ status: 'incomplete', retry_count: 1, claim_epoch: 2 });
    expect(written(p.writes, 't').assigned).toBeUndefined();
    const last = planIncomplete(graph(task('t', { ...running, retry_count: 2 })), 't', 'still', who(), { maxRetries: 2 });
    expect(written(last.writes, 't')).toMatchObject({ status: 'failed', retry_count: 3 });
    expect(last.result.failed).toBe(true);
    expect(planIncomplete(graph(task('t', { status: 'incomplete' })), 't', 'x', who()).result.already).toBe(true);
    wgError(() => planIncomplete(graph(task('t', { status: 'done' })), 't', 'x', who()), 'invalid_transition');
  });
});

describe('the human gates', () => {
  const gated = (patch = {}) => task('v', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1, validation: 'external', ...patch });

  it('--validation: text is criteria under ## Validation with the external gate; mode words stay modes', () => {
    expect(validationFromFlag('must print hello')).toEqual({ mode: 'external', criteria: 'must print hello' });
    expect(validationFromFlag('integrated')).toEqual({ mode: 'integrated' });
    expect(withValidationSection('Do X.', 'must print hello')).toBe('Do X.\n\n## Validation\nmust print hello');
    expect(requiresValidation({ validation: 'external' })).toBe(true);
    expect(requiresValidation({ validation: 'llm' })).toBe(true);
    expect(requiresValidation({ validation: 'integrated' })).toBe(false);
    const added = planAdd(graph(), { title: 'Review', validation: 'looks right' }, who()).result.task;
    expect(added).toMatchObject({ validation: 'external', description: '## Validation\nlooks right' });
  });

  it('done on a gated task stops at pending-validation (claim kept); approve lands it; the agent cannot approve itself', () => {
    const p = planDone(graph(gated()), 'v', agent('agent-1', 'v', 1));
    const t = written(p.writes, 'v');
    expect(t).toMatchObject({ status: 'pending-validation', assigned: 'agent-1', claim_epoch: 1 });
    expect(planDone(graph(t), 'v', who()).result.already).toBe(true);
    wgError(() => planApprove(graph(t), 'v', agent('agent-1', 'v', 1)), 'invalid_transition');
    const a = planApprove(graph(t), 'v', who(), { notes: ['Merged x'] });
    expect(written(a.writes, 'v').status).toBe('done');
    expect(written(a.writes, 'v').log!.slice(-2).map((e) => e.message)).toEqual(['Merged x', 'Task approved by alice']);
    expect(planApprove(graph(task('v', { status: 'done' })), 'v', who()).result.already).toBe(true);
    wgError(() => planApprove(graph(task('v', { status: 'open' })), 'v', who()), 'invalid_transition');
  });

  it('reject re-opens with the reason (claim released) until max_rejections, then fails; the prompt reads every rejection', () => {
    const pending = task('v', { status: 'pending-validation', assigned: 'agent-1', claim_epoch: 1, validation: 'external' });
    const r1 = planReject(graph(pending), 'v', 'missing tests', who(), { maxRejections: 2 });
    const t1 = written(r1.writes, 'v');
    expect(t1).toMatchObject({ status: 'open', rejection_count: 1, claim_epoch: 2 });
    expect(t1.assigned).toBeUndefined();
    const again = { ...t1, status: 'pending-validation' as const };
    const r2 = planReject(graph(again), 'v', 'still no tests', who(), { maxRejections: 2 });
    expect(written(r2.writes, 'v')).toMatchObject({ status: 'failed', rejection_count: 2, failure_reason: 'Exceeded max rejections (2/2): still no tests' });
    expect(rejections(written(r2.writes, 'v')).map((r) => [r.n, r.reason])).toEqual([
      [1, 'missing tests'],
      [2, 'still no tests'],
    ]);
    // The task's own bound wins over the setting.
    expect(planReject(graph({ ...pending, max_rejections: 1 }), 'v', 'no', who(), { maxRejections: 5 }).result.failed).toBe(true);
    wgError(() => planReject(graph(pending), 'v', ' ', who()), 'invalid_argument', 2);
  });

  it('publish checks the draft and its paused downstream, then unpauses them in one write', () => {
    const g = graph(task('d', { paused: true }), dep('e', ['d'], { paused: true }), dep('f', ['e']), task('other', { paused: true }));
    const p = planPublish(g, 'd', who());
    expect(p.result.published).toEqual(['d', 'e']);
    expect(p.writes.every((w) => !w.paused)).toBe(true);
    expect(planPublish(g, 'd', who(), { only: true }).result.published).toEqual(['d']);
    expect(planPublish(apply(g, p.writes), 'd', who()).writes).toEqual([]);
    const phantom = graph(task('d', { paused: true, after: ['ghost'] }));
    expect(wgError(() => planPublish(phantom, 'd', who()), 'not_found').message).toContain("'ghost'");
    const loop = graph(dep('a', ['b'], { paused: true }), dep('b', ['a'], { paused: true }));
    wgError(() => planPublish(loop, 'a', who()), 'cycle');
  });
});

describe('wg next', () => {
  const g = graph(
    task('low', { priority: 5, created_at: iso(-3 * HOUR) }),
    task('old', { created_at: iso(-2 * HOUR) }),
    task('hub', { created_at: iso(-MIN) }),
    dep('x', ['hub']),
    dep('y', ['x']),
    task('taken', { assigned: 'bob' }),
    task('.evaluate-old'),
  );

  it('orders by priority, then what it unblocks, then age; skips claimed and system tasks', () => {
    expect(rankNext(g, NOW).map((c) => [c.task.id, c.unblocks])).toEqual([
      ['hub', 2],
      ['old', 0],
      ['low', 0],
    ]);
    const tie = graph(task('b', { created_at: iso(-MIN) }), task('a', { created_at: iso(-HOUR) }));
    expect(rankNext(tie, NOW)[0]!.task.id).toBe('a');
  });

  it('--claim claims the best one under the lock; a task the actor already holds comes first', () => {
    const p = planNext(g, who({ actor: 'carol' }), { claim: true });
    expect(written(p.writes, 'hub')).toMatchObject({ status: 'in-progress', assigned: 'carol', claim_epoch: 1 });
    const after = apply(g, p.writes);
    expect(planNext(after, who({ actor: 'carol' }), { claim: true }).result).toMatchObject({ held: true, task: { id: 'hub' } });
    expect(planNext(after, who({ actor: 'dave' })).result!.task.id).toBe('old');
    expect(planNext(graph(task('only', { assigned: 'bob' })), who()).result).toBeUndefined();
  });
});

describe('agents that create work', () => {
  const parent = task('p', { status: 'in-progress', assigned: 'agent-4', claim_epoch: 2 });

  it('as the Rust tool: a task added from an agent’s task comes after it, unless --independent or --after', () => {
    const a = planAdd(graph(parent), { title: 'Follow up', parent: 'p' }, agent('agent-4', 'p', 2)).result.task;
    expect(a.after).toEqual(['p']);
    expect(a.log![0]!.message).toBe('Task added by agent-4 while working on p (runs after it)');
    expect(planAdd(graph(parent), { title: 'Side', parent: 'p', independent: true }, who()).result.task.after).toBeUndefined();
    expect(planAdd(graph(parent, task('q')), { title: 'Else', parent: 'p', after: ['q'] }, who()).result.task.after).toEqual(['q']);
  });

  it('--subtask: the child is independent and the parent parks until it is done or failed', () => {
    const p = planAddSubtask(graph(parent), { title: 'Child job', id: 'child' }, 'p', agent('agent-4', 'p', 2));
    const child = written(p.writes, 'child');
    const par = written(p.writes, 'p');
    expect(child.after).toBeUndefined();
    expect(par).toMatchObject({ status: 'waiting', claim_epoch: 3 });
    expect(readWaitSpec(par.wait_condition)).toEqual({
      mode: 'any',
      conditions: [
        { type: 'task-status', task_id: 'child', status: 'done' },
        { type: 'task-status', task_id: 'child', status: 'failed' },
      ],
    });
    const resumed = planResumeWaiting(apply(apply(graph(parent), p.writes), [task('child', { status: 'failed' })]), noInputs(), who());
    expect(written(resumed.writes, 'p').status).toBe('open');
    wgError(() => planAddSubtask(graph(parent), { title: 'c', after: ['p'] }, 'p', who()), 'invalid_argument', 2);
  });
});

describe('messages, context, discover, what waits for a human', () => {
  it('humans are senders that are not agents or the service; unread is after the cursor', () => {
    expect(isHumanSender('alice')).toBe(true);
    expect(isHumanSender('user')).toBe(true);
    expect(isHumanSender('agent-12')).toBe(false);
    expect(isHumanSender('coordinator')).toBe(false);
    expect(unreadAfter([msg(1, 'a', 0), msg(2, 'b', 0)], 1).map((m) => m.id)).toEqual([2]);
  });

  it('context: dependency artifacts and last logs, checkpoint, earlier attempts, rejections, unread; dependents on request', () => {
    const g = graph(
      task('d', { status: 'done', artifacts: ['out.txt'], log: Array.from({ length: 8 }, (_, i) => ({ timestamp: iso(i), message: `step ${i}` })) }),
      dep('t', ['d'], {
        checkpoint: 'half',
        retry_count: 1,
        failure_reason: 'boom',
        log: [
          { timestamp: iso(0), message: 'Task incomplete: tests left' },
          { timestamp: iso(1), user: 'rev', message: 'Task rejected (1/3): add docs' },
        ],
      }),
      dep('u', ['t'], { description: 'needs the API\nmore' }),
    );
    const c = buildContext(g, 't', { unread: [msg(1, 'alice', 0)], dependents: true });
    expect(c.dependencies).toEqual([{ id: 'd', title: 'Title of d', status: 'done', artifacts: ['out.txt'], log: expect.any(Array) }]);
    expect(c.dependencies[0]!.log.map((e) => e.message)).toEqual(['step 3', 'step 4', 'step 5', 'step 6', 'step 7']);
    expect(c.checkpoint).toBe('half');
    expect(c.previous.failure_reason).toBe('boom');
    expect(c.previous.entries.map((e) => e.message)).toEqual(['Task incomplete: tests left']);
    expect(c.previous.rejections.map((r) => [r.by, r.reason])).toEqual([['rev', 'add docs']]);
    expect(c.dependents).toEqual([{ id: 'u', title: 'Title of u', status: 'open', description: 'needs the API\nmore' }]);
    expect(c.unread.map((m) => m.id)).toEqual([1]);
  });

  it('discover: done tasks within the window, newest first, with the last meaningful log line', () => {
    const g = graph(
      task('a', { status: 'done', completed_at: iso(-2 * HOUR), log: [{ timestamp: iso(-2 * HOUR), message: 'wrote the parser' }, { timestamp: iso(-2 * HOUR), message: 'Task marked as done' }] }),
      task('b', { status: 'done', completed_at: iso(-MIN), artifacts: ['b.md'] }),
      task('c', { status: 'done', completed_at: iso(-48 * HOUR) }),
      task('.evaluate-a', { status: 'done', completed_at: iso(-MIN) }),
    );
    expect(discover(g, NOW, 24 * HOUR).map((d) => [d.id, d.last_log])).toEqual([
      ['b', undefined],
      ['a', 'wrote the parser'],
    ]);
  });

  it('awaiting a human: pending validation, parked questions, unmerged branches', () => {
    const g = graph(
      task('v', { status: 'pending-validation' }),
      task('q', { status: 'waiting', wait_condition: { mode: 'any', conditions: [{ type: 'human-input' }] } }),
      task('t', { status: 'waiting', wait_condition: { mode: 'all', conditions: [{ type: 'task-status', task_id: 'v', status: 'done' }] } }),
    );
    expect(awaitingHuman(g, [{ task: 'v', agent: 'agent-1', branch: 'wg/agent-1/v', reason: 'conflict in f' }]).map((h) => [h.kind, h.task])).toEqual([
      ['validation', 'v'],
      ['answer', 'q'],
      ['merge', 'v'],
    ]);
  });
});
