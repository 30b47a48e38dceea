/**
 * The dispatcher's pure half (SPEC §4): which ready tasks spawn and why the others wait, the
 * settling delay (user edits only, not service log entries), the claim written before a spawn,
 * its rollback, and what an agent's exit does to its task (fenced by agent and epoch).
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/core/graph.js';
import type { AgentLiveness, LivenessMap } from '../../src/core/liveness.js';
import { planAgentExit } from '../../src/core/plans/agent-death.js';
import { decideDispatch, lastChangeMs, planSpawnClaim, planSpawnRollback, type DispatchInput } from '../../src/core/plans/dispatch.js';
import type { Task } from '../../src/core/task.js';
import { apply, dep, graph, iso, MIN, NOW, NOW_ISO, task, who, written } from './fixtures.js';

const lastLog = (t: Task): string | undefined => t.log?.[t.log.length - 1]?.message;
const liveness = (...entries: Array<[string, AgentLiveness]>): LivenessMap => new Map(entries);
const svc = () => who({ actor: 'service', user: undefined });
/** Created long ago: never settling unless a test says so. */
const old = (id: string, patch: Partial<Task> = {}): Task => task(id, { created_at: iso(-10 * MIN), ...patch });

function input(patch: Partial<DispatchInput> = {}): DispatchInput {
  return {
    now: NOW,
    maxAgents: 4,
    aliveAgents: 0,
    paused: false,
    settlingDelayMs: 500,
    liveness: new Map(),
    executorFor: () => ({ executor: 'shell' }),
    ...patch,
  };
}
const spawnIds = (g: Graph, i: DispatchInput = input()) => decideDispatch(g, i).spawn.map((s) => s.task.id);
const waitingKinds = (g: Graph, i: DispatchInput = input()) => Object.fromEntries(decideDispatch(g, i).waiting.map((w) => [w.task.id, w.reason.kind]));

// ---------------------------------------------------------------------------------------------
describe('decideDispatch', () => {
  it('spawns ready tasks by priority (higher first), then fewer previous spawns, then file order', () => {
    const g = graph(old('a', { priority: 1 }), old('b', { priority: 20 }), old('c', { priority: 10, dispatch_count: 2 }), old('d', { priority: 10 }), old('e', { priority: 10 }));
    expect(spawnIds(g, input({ maxAgents: 10 }))).toEqual(['b', 'd', 'e', 'c', 'a']);
  });

  it('only ready tasks: not blocked, not paused, not time-gated, not in progress or terminal', () => {
    const g = graph(
      old('dep'),
      dep('blocked', ['dep'], { created_at: iso(-10 * MIN) }),
      old('paused', { paused: true }),
      old('later', { not_before: iso(MIN) }),
      old('backoff', { ready_after: iso(MIN) }),
      old('running', { status: 'in-progress', assigned: 'agent-1' }),
      old('done', { status: 'done' }),
      old('failed', { status: 'failed' }),
      old('inc', { status: 'incomplete' }),
    );
    const d = decideDispatch(g, input());
    expect(d.spawn.map((s) => s.task.id)).toEqual(['dep', 'inc']);
    expect(d.waiting).toEqual([]);
  });

  it('max_agents bounds the spawns; the rest wait with reason max-agents', () => {
    const g = graph(old('a'), old('b'), old('c'), old('d'));
    const d = decideDispatch(g, input({ maxAgents: 3, aliveAgents: 1 }));
    expect(d.spawn.map((s) => s.task.id)).toEqual(['a', 'b']);
    expect(d.waiting.map((w) => [w.task.id, w.reason])).toEqual([
      ['c', { kind: 'max-agents', alive: 3, max: 3 }],
      ['d', { kind: 'max-agents', alive: 3, max: 3 }],
    ]);
    // more alive than allowed (max lowered at runtime): no negative slots, nothing spawns
    expect(spawnIds(g, input({ maxAgents: 1, aliveAgents: 3 }))).toEqual([]);
    expect(spawnIds(g, input({ maxAgents: 0 }))).toEqual([]);
  });

  it('a paused dispatcher spawns nothing; every unclaimed ready task waits with reason paused', () => {
    const g = graph(old('a'), old('b'));
    const d = decideDispatch(g, input({ paused: true }));
    expect(d.spawn).toEqual([]);
    expect(d.waiting.map((w) => w.reason.kind)).toEqual(['paused', 'paused']);
  });

  it('settling: a task created or edited within settling_delay waits, with the instant it may spawn', () => {
    const g = graph(task('fresh', { created_at: iso(-200) }), old('edited', { log: [{ timestamp: iso(-100), actor: 'alice', message: 'Edited: title' }] }), old('stale'));
    const d = decideDispatch(g, input());
    expect(d.spawn.map((s) => s.task.id)).toEqual(['stale']);
    expect(d.waiting.map((w) => [w.task.id, w.reason])).toEqual([
      ['fresh', { kind: 'settling', untilMs: NOW.getTime() - 200 + 500 }],
      ['edited', { kind: 'settling', untilMs: NOW.getTime() - 100 + 500 }],
    ]);
    // once the delay has passed, they spawn
    expect(spawnIds(g, input({ now: new Date(NOW.getTime() + 500) }))).toEqual(['fresh', 'edited', 'stale']);
    // a zero settling delay never holds anything back
    expect(spawnIds(g, input({ settlingDelayMs: 0 }))).toEqual(['fresh', 'edited', 'stale']);
  });

  it('settling ignores service log entries (spawns, reclaims, retries): recovery is never held back', () => {
    const log = [
      { timestamp: iso(-5 * MIN), actor: 'alice', message: 'Edited: description' },
      { timestamp: iso(-50), actor: 'service', message: 'Spawned agent-1 (executor shell)' },
      { timestamp: iso(-40), actor: 'service', message: 'stale claim cleared: agent agent-1 process 1 is gone' },
      { timestamp: iso(-30), actor: 'alice', message: 'Retry requested from failed (attempt 2)' },
      { timestamp: iso(-20), actor: 'alice', message: 'Task unclaimed (was agent-1)' },
    ];
    const t = old('x', { log });
    expect(lastChangeMs(t)).toBe(NOW.getTime() - 5 * MIN);
    expect(spawnIds(graph(t))).toEqual(['x']);
  });

  it('lastChangeMs: creation, or the newest edit / dependency change', () => {
    expect(lastChangeMs(task('x'))).toBe(0);
    expect(lastChangeMs(task('x', { created_at: NOW_ISO }))).toBe(NOW.getTime());
    const deps = old('x', { log: [{ timestamp: iso(-3000), message: "Now depends on 'y'" }, { timestamp: iso(-2000), message: "No longer depends on 'y'" }, { timestamp: iso(-1000), message: 'Task paused' }] });
    expect(lastChangeMs(deps)).toBe(NOW.getTime() - 2000);
  });

  it('claimed ready tasks wait: stale-claim for a dead or unknown agent, claimed for a live agent or a human', () => {
    const g = graph(
      old('dead', { assigned: 'agent-1' }),
      old('unknown', { assigned: 'agent-2' }),
      old('live', { assigned: 'agent-3' }),
      old('human', { assigned: 'bob' }),
      old('free'),
    );
    const d = decideDispatch(g, input({ liveness: liveness(['agent-1', { alive: false, reason: 'process 7 is gone' }], ['agent-3', { alive: true }]) }));
    expect(d.spawn.map((s) => s.task.id)).toEqual(['free']);
    expect(Object.fromEntries(d.waiting.map((w) => [w.task.id, w.reason]))).toEqual({
      dead: { kind: 'stale-claim', agent: 'agent-1', detail: 'process 7 is gone' },
      unknown: { kind: 'stale-claim', agent: 'agent-2', detail: 'unknown to the registry' },
      live: { kind: 'claimed', holder: 'agent-3' },
      human: { kind: 'claimed', holder: 'bob' },
    });
  });

  it('a claim is reported even when the dispatcher is paused or full (it is the more useful reason)', () => {
    const g = graph(old('dead', { assigned: 'agent-1' }));
    expect(waitingKinds(g, input({ paused: true, maxAgents: 0 }))).toEqual({ dead: 'stale-claim' });
  });

  it('executor-missing: the task waits with the executor and why; it does not take a slot', () => {
    const g = graph(old('claude-task', { exec_mode: 'claude' }), old('shell-task', { exec: 'true' }));
    const d = decideDispatch(g, input({ maxAgents: 1, executorFor: (t) => (t.exec ? { executor: 'shell' } : { executor: 'claude', missing: "'claude' is not on PATH" }) }));
    expect(d.spawn.map((s) => [s.task.id, s.executor])).toEqual([['shell-task', 'shell']]);
    expect(d.waiting).toEqual([{ task: g.get('claude-task'), reason: { kind: 'executor-missing', executor: 'claude', detail: "'claude' is not on PATH" } }]);
  });

  it('each spawn carries the resolved executor', () => {
    const g = graph(old('a'), old('b'));
    const d = decideDispatch(g, input({ executorFor: (t) => ({ executor: t.id === 'a' ? 'codex' : 'shell' }) }));
    expect(d.spawn.map((s) => s.executor)).toEqual(['codex', 'shell']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('planSpawnClaim / planSpawnRollback', () => {
  it('claims before launch: in-progress, the new agent, epoch+1, started_at, dispatch_count+1, logged by the service', () => {
    const g = graph(old('x', { claim_epoch: 2, dispatch_count: 1 }));
    const p = planSpawnClaim(g, 'x', 'agent-5', 'shell', 'm1', svc());
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'agent-5', claim_epoch: 3, started_at: NOW_ISO, dispatch_count: 2 });
    expect(t.log!.at(-1)).toMatchObject({ actor: 'service', message: 'Spawned agent-5 (executor shell, model m1)' });
    expect(p.ops).toEqual([{ op: 'spawn', task_id: 'x', detail: { agent: 'agent-5', executor: 'shell', epoch: 3 } }]);
  });

  it('re-checked under the lock: nothing when the task is claimed, not open, or gone', () => {
    expect(planSpawnClaim(graph(old('x', { assigned: 'bob' })), 'x', 'agent-1', 'shell', undefined, svc()).result).toBeUndefined();
    expect(planSpawnClaim(graph(old('x', { status: 'in-progress' })), 'x', 'agent-1', 'shell', undefined, svc()).writes).toEqual([]);
    expect(planSpawnClaim(graph(old('x')), 'y', 'agent-1', 'shell', undefined, svc()).writes).toEqual([]);
    expect(written(planSpawnClaim(graph(old('x', { status: 'incomplete' })), 'x', 'agent-1', 'shell', undefined, svc()).writes, 'x').status).toBe('in-progress');
  });

  it('rollback gives the claim back (epoch+1, with a backoff) only if still ours at our epoch', () => {
    const g = apply(graph(old('x')), planSpawnClaim(graph(old('x')), 'x', 'agent-1', 'shell', undefined, svc()).writes);
    const p = planSpawnRollback(g, 'x', 'agent-1', 1, 'ENOENT', svc(), iso(1000));
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 2, ready_after: iso(1000) });
    expect(t.assigned).toBeUndefined();
    expect(t.started_at).toBeUndefined();
    expect(lastLog(t)).toBe(`Spawn of agent-1 failed: ENOENT (next attempt after ${iso(1000)})`);
    expect(planSpawnRollback(g, 'x', 'agent-1', 0, 'e', svc()).writes).toEqual([]);
    expect(planSpawnRollback(g, 'x', 'agent-2', 1, 'e', svc()).writes).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('planAgentExit', () => {
  const running = (patch: Partial<Task> = {}) => graph(old('x', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4, ...patch }));

  it('exit 0 → done (logged as the agent)', () => {
    const p = planAgentExit(running(), 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc());
    expect(p.result.action).toBe('done');
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'done', completed_at: NOW_ISO, assigned: 'agent-3', claim_epoch: 4 });
    expect(t.log!.at(-1)).toMatchObject({ actor: 'agent-3', message: 'Task marked as done' });
  });

  it('exit 0 while a dependency is unmet → failed honestly, not a fake done', () => {
    const g = graph(old('y'), dep('x', ['y'], { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4 }));
    const p = planAgentExit(g, 'x', 'agent-3', 4, { kind: 'exited', code: 0 }, svc());
    expect(p.result.action).toBe('failed');
    expect(written(p.writes, 'x')).toMatchObject({ status: 'failed', failure_class: 'agent-exit-nonzero' });
    expect(written(p.writes, 'x').failure_reason).toMatch(/^agent exited 0 but the task cannot be done/);
  });

  it('non-zero exit → failed, agent-exit-nonzero, with the code in the reason', () => {
    const p = planAgentExit(running(), 'x', 'agent-3', 4, { kind: 'exited', code: 7 }, svc());
    expect(p.result.action).toBe('failed');
    expect(written(p.writes, 'x')).toMatchObject({ status: 'failed', failure_class: 'agent-exit-nonzero', failure_reason: 'agent agent-3 exited with code 7', completed_at: NOW_ISO });
  });

  it('hard timeout → failed, agent-hard-timeout', () => {
    const p = planAgentExit(running(), 'x', 'agent-3', 4, { kind: 'timeout' }, svc());
    expect(p.result.action).toBe('failed');
    expect(written(p.writes, 'x')).toMatchObject({ status: 'failed', failure_class: 'agent-hard-timeout', failure_reason: 'agent agent-3 exceeded its hard timeout' });
  });

  it('killed by a signal the service did not send → re-queued like any death (retry_count+1, epoch+1)', () => {
    const p = planAgentExit(running({ retry_count: 0 }), 'x', 'agent-3', 4, { kind: 'signal', signal: 'SIGKILL' }, svc());
    expect(p.result.action).toBe('requeued');
    const t = written(p.writes, 'x');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 5, retry_count: 1 });
    expect(t.assigned).toBeUndefined();
    expect(lastLog(t)).toBe('stale claim cleared: agent agent-3 was killed by SIGKILL');
    expect(p.result.reclaimed).toMatchObject({ task_id: 'x', agent: 'agent-3', failed: false });
    expect(p.ops).toEqual([{ op: 'reclaim', task_id: 'x', detail: { agent: 'agent-3', reason: 'was killed by SIGKILL', failed: false } }]);
  });

  it('a signal death past max_retries fails the task with agent-exit-nonzero (the signal is in the reason)', () => {
    const p = planAgentExit(running({ retry_count: 1, max_retries: 1 }), 'x', 'agent-3', 4, { kind: 'signal', signal: 'SIGSEGV' }, svc());
    expect(p.result.action).toBe('failed');
    expect(written(p.writes, 'x')).toMatchObject({ status: 'failed', failure_class: 'agent-exit-nonzero', failure_reason: 'agent agent-3 was killed by SIGSEGV; retries exhausted (1/1)' });
  });

  it('fenced: no change when the task moved to another agent, another epoch, another status, or is gone', () => {
    const outcomes = [{ kind: 'exited', code: 0 }, { kind: 'exited', code: 1 }, { kind: 'timeout' }, { kind: 'signal', signal: 'SIGKILL' }] as const;
    for (const o of outcomes) {
      expect(planAgentExit(running({ assigned: 'agent-9', claim_epoch: 5 }), 'x', 'agent-3', 4, o, svc()).writes, `${o.kind} other agent`).toEqual([]);
      expect(planAgentExit(running({ claim_epoch: 5 }), 'x', 'agent-3', 4, o, svc()).writes, `${o.kind} other epoch`).toEqual([]);
      expect(planAgentExit(running({ status: 'open', assigned: undefined, claim_epoch: 5 }), 'x', 'agent-3', 4, o, svc()).writes, `${o.kind} reclaimed`).toEqual([]);
      expect(planAgentExit(running({ status: 'done' }), 'x', 'agent-3', 4, o, svc()).writes, `${o.kind} already done`).toEqual([]);
      expect(planAgentExit(running(), 'gone', 'agent-3', 4, o, svc()).result.action).toBe('none');
    }
  });
});
