/**
 * The decisions the service used to make inline, now pure: liveness (one `judgeAgent` for the
 * CLI's view and the service's), which agents to stop, deliberate kill vs crash, the usage
 * merged into the task, the registry status after an exit, the back-off after a failed spawn.
 */
import { describe, expect, it } from 'vitest';
import { judgeAgent, type AgentFacts, type ServiceKnowledge } from '../../src/core/liveness.js';
import { spawnFailureBackoffMs } from '../../src/core/plans/dispatch.js';
import { agentAfterExit, classifyExit, exitReason, planExitWithUsage, type ExitingAgent } from '../../src/core/plans/agent-death.js';
import { planStopAgents } from '../../src/core/plans/stop-agents.js';
import { planReconcile } from '../../src/core/plans/reconcile.js';
import { deadClaim } from '../../src/core/claims.js';
import { graph, iso, MIN, NOW, task, who, written } from './fixtures.js';

const nowMs = NOW.getTime();
const S = { nowMs, heartbeatTimeoutMs: 60_000, host: 'here' };
const rec = (patch: Partial<AgentFacts> = {}): AgentFacts => ({ id: 'agent-1', status: 'working', started_at: iso(-10 * MIN), last_heartbeat: iso(-5_000), host: 'here', pid: 123, ...patch });
const svc = (patch: Partial<ServiceKnowledge> = {}): ServiceKnowledge => ({ supervised: false, exitPending: false, ...patch });

describe('judgeAgent: the Rust tool\'s registry statuses (docs/rust-compat.md §5)', () => {
  it('parked and frozen are held — not alive, not dead — for both views; a frozen agent whose PID is gone is dead', () => {
    for (const status of ['parked', 'frozen'] as const) {
      expect(judgeAgent(rec({ status }), undefined, S)).toEqual({ alive: false, held: true, reason: `is ${status}` });
      expect(judgeAgent(rec({ status }), undefined, S, svc({ supervised: true }))).toEqual({ alive: false, held: true, reason: `is ${status}` });
    }
    expect(judgeAgent(rec({ status: 'frozen' }), { alive: true, stopped: true }, S)).toEqual({ alive: false, held: true, reason: 'is frozen' });
    expect(judgeAgent(rec({ status: 'frozen' }), { alive: false, reason: 'process 123 is gone' }, S)).toEqual({ alive: false, reason: 'is frozen, but process 123 is gone' });
    // A parked agent exited on purpose: its PID being gone changes nothing.
    expect(judgeAgent(rec({ status: 'parked' }), { alive: false, reason: 'process 123 is gone' }, S)).toEqual({ alive: false, held: true, reason: 'is parked' });
  });

  it('idle and stopping are judged like running agents, by their PID', () => {
    for (const status of ['idle', 'stopping'] as const) {
      expect(judgeAgent(rec({ status }), { alive: true }, S)).toEqual({ alive: true });
      expect(judgeAgent(rec({ status }), { alive: false, reason: 'process 123 is gone' }, S)).toEqual({ alive: false, reason: 'process 123 is gone' });
    }
  });

  it("a held agent's claim stands: the reconciler re-queues nothing, a dead agent's claim is reclaimed", () => {
    const g = graph(task('w', { status: 'waiting', assigned: 'agent-8' }), task('p', { status: 'in-progress', assigned: 'agent-9' }), task('d', { status: 'in-progress', assigned: 'agent-7' }));
    const liveness = new Map([
      ['agent-8', { alive: false, held: true, reason: 'is parked' }],
      ['agent-9', { alive: false, held: true, reason: 'is frozen' }],
      ['agent-7', { alive: false, reason: 'process 7 is gone' }],
    ]);
    expect(deadClaim(g.get('p')!, liveness)).toBeUndefined();
    const r = planReconcile(g, liveness, who());
    expect(r.result.reclaimed.map((c) => c.task_id)).toEqual(['d']);
  });
});

describe('judgeAgent: the CLI view and the service view', () => {
  it('a finished record is dead with its status and reason, for both views', () => {
    const a = rec({ status: 'failed', exit_reason: 'spawn failed: nope' });
    expect(judgeAgent(a, undefined, S)).toEqual({ alive: false, reason: 'is failed (spawn failed: nope)' });
    expect(judgeAgent(a, undefined, S, svc({ supervised: true }))).toEqual({ alive: false, reason: 'is failed (spawn failed: nope)' });
  });

  it('a local PID that is gone or reused is dead — unless the service supervises it (its exit is an event)', () => {
    const gone = { alive: false, reason: 'process 123 is gone' };
    expect(judgeAgent(rec(), gone, S)).toEqual({ alive: false, reason: 'process 123 is gone' });
    expect(judgeAgent(rec(), gone, S, svc())).toEqual({ alive: false, reason: 'process 123 is gone' });
    expect(judgeAgent(rec(), gone, S, svc({ supervised: true })).alive).toBe(true);
  });

  it('an exit seen but not yet applied keeps the agent alive for this tick (its exit decides)', () => {
    expect(judgeAgent(rec(), undefined, S, svc({ exitPending: true }))).toEqual({ alive: true });
  });

  it('another host: the lease alone decides', () => {
    expect(judgeAgent(rec({ host: 'there', last_heartbeat: iso(-59_000) }), undefined, S).alive).toBe(true);
    expect(judgeAgent(rec({ host: 'there', last_heartbeat: iso(-61_000) }), undefined, S)).toEqual({ alive: false, reason: 'lease expired' });
    expect(judgeAgent(rec({ host: 'there', last_heartbeat: undefined, started_at: iso(-61_000) }), undefined, S, svc())).toEqual({ alive: false, reason: 'lease expired' });
  });

  it('no PID yet: alive for a minute, then never started', () => {
    expect(judgeAgent(rec({ pid: undefined, started_at: iso(-59_000) }), undefined, S).alive).toBe(true);
    expect(judgeAgent(rec({ pid: undefined, started_at: iso(-60_000) }), undefined, S)).toEqual({ alive: false, reason: 'never started' });
  });

  it('the service adopts a live process it does not watch, and renews leases past a quarter of the timeout', () => {
    const live = { alive: true, stopped: false };
    expect(judgeAgent(rec(), live, S)).toEqual({ alive: true });
    expect(judgeAgent(rec(), live, S, svc())).toEqual({ alive: true, adopt: true });
    expect(judgeAgent(rec({ last_heartbeat: iso(-14_000) }), live, S, svc({ supervised: true }))).toEqual({ alive: true });
    expect(judgeAgent(rec({ last_heartbeat: iso(-16_000) }), live, S, svc({ supervised: true }))).toEqual({ alive: true, renewLease: true });
  });

  it('a stopped process gets no renewal and dies when its lease runs out (the CLI does not judge stopped state)', () => {
    const stopped = { alive: true, stopped: true };
    expect(judgeAgent(rec({ last_heartbeat: iso(-59_000) }), stopped, S, svc({ supervised: true }))).toEqual({ alive: true });
    expect(judgeAgent(rec({ last_heartbeat: iso(-61_000) }), stopped, S, svc({ supervised: true }))).toEqual({ alive: false, reason: 'lease expired (process stopped)', leaseExpired: true });
    expect(judgeAgent(rec({ last_heartbeat: iso(-61_000) }), stopped, S).alive).toBe(true);
  });
});

describe('planStopAgents', () => {
  const g = graph(
    task('fin', { status: 'done', assigned: 'agent-1', claim_epoch: 2 }),
    task('run', { status: 'in-progress', assigned: 'agent-2', claim_epoch: 5 }),
    task('moved', { status: 'open', claim_epoch: 3 }),
    task('taken', { status: 'in-progress', assigned: 'bob', claim_epoch: 4 }),
    task('done-by-other', { status: 'done', assigned: 'bob', claim_epoch: 4 }),
  );
  const running = [
    { agent: 'agent-1', task: 'fin', epoch: 2 },
    { agent: 'agent-2', task: 'run', epoch: 5 },
    { agent: 'agent-3', task: 'moved', epoch: 2 },
    { agent: 'agent-4', task: 'taken', epoch: 3 },
    { agent: 'agent-5', task: 'gone', epoch: 1 },
    { agent: 'agent-6', task: 'run', epoch: 4 },
    { agent: 'agent-7', task: 'done-by-other', epoch: 3 },
  ];

  it('claim moved (unclaimed, taken, gone, older epoch) → claim-lost; a running claim and a done task are left alone', () => {
    const p = planStopAgents(g, running, nowMs, 5_000, {});
    const stop = [
      { agent: 'agent-3', task: 'moved', reason: 'claim-lost' },
      { agent: 'agent-4', task: 'taken', reason: 'claim-lost' },
      { agent: 'agent-5', task: 'gone', reason: 'claim-lost' },
      { agent: 'agent-6', task: 'run', reason: 'claim-lost' },
    ];
    expect(p.result.stop).toEqual(stop);
    // The plan carries the kills (applied through src/apply.ts) and writes nothing.
    expect(p.writes).toEqual([]);
    expect(p.kills).toEqual(stop.map((x) => ({ agent: x.agent, reason: x.reason })));
  });

  it('task terminal under its own claim → kill_grace to exit by itself, then task-terminal', () => {
    const first = planStopAgents(g, running.slice(0, 1), nowMs, 5_000, {});
    expect(first.result).toEqual({ stop: [], terminalSince: { 'agent-1': nowMs }, wakeAtMs: nowMs + 5_000 });
    expect(first.kills).toEqual([]);
    const during = planStopAgents(g, running.slice(0, 1), nowMs + 4_999, 5_000, first.result.terminalSince);
    expect(during.result.stop).toEqual([]);
    const after = planStopAgents(g, running.slice(0, 1), nowMs + 5_000, 5_000, during.result.terminalSince);
    expect(after.result).toEqual({ stop: [{ agent: 'agent-1', task: 'fin', reason: 'task-terminal' }], terminalSince: {}, wakeAtMs: undefined });
    expect(JSON.parse(JSON.stringify(after))).toEqual({ ...after, result: { stop: after.result.stop, terminalSince: {} } });
  });

  it('grace entries of agents no longer running are dropped', () => {
    expect(planStopAgents(g, [], nowMs, 5_000, { 'agent-1': nowMs - 100 }).result.terminalSince).toEqual({});
  });
});

describe('an agent exit', () => {
  const agent: ExitingAgent = { id: 'agent-3', task_id: 'x', claim_epoch: 4, status: 'working' };
  const held = (patch = {}) => graph(task('x', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4, created_at: iso(-10 * MIN), ...patch }));

  it('deliberate kill vs crash', () => {
    expect(classifyExit({ code: null, signal: 'SIGTERM', killedBy: 'claim-lost' }, agent)).toEqual({ deliberate: true });
    expect(classifyExit({ code: 0, signal: null }, { status: 'dead' })).toEqual({ deliberate: true });
    expect(classifyExit({ code: null, signal: 'SIGTERM', killedBy: 'timeout' }, agent)).toEqual({ deliberate: false, outcome: { kind: 'timeout' } });
    expect(classifyExit({ code: null, signal: 'SIGKILL' }, agent)).toEqual({ deliberate: false, outcome: { kind: 'signal', signal: 'SIGKILL' } });
    expect(classifyExit({ code: 3, signal: null }, agent)).toEqual({ deliberate: false, outcome: { kind: 'exited', code: 3 } });
    expect(classifyExit({ code: null, signal: null, inferred: true }, agent)).toEqual({ deliberate: false, outcome: undefined });
  });

  it('usage lands on the task the exit writes, or on the task the agent finished itself while still its claim', () => {
    const usage = { session_id: 's-1', token_usage: { input_tokens: 10, output_tokens: 2 } };
    const p = planExitWithUsage(held(), agent, { kind: 'exited', code: 0 }, usage, who({ actor: 'service' }), {});
    expect(written(p.writes, 'x')).toMatchObject({ status: 'done', session_id: 's-1', token_usage: { input_tokens: 10, output_tokens: 2 } });
    const finished = planExitWithUsage(held({ status: 'done' }), agent, { kind: 'exited', code: 0 }, usage, who({ actor: 'service' }), {});
    expect(written(finished.writes, 'x')).toMatchObject({ status: 'done', session_id: 's-1' });
    const other = planExitWithUsage(held({ status: 'done', assigned: 'agent-9', claim_epoch: 5 }), agent, { kind: 'exited', code: 0 }, usage, who({ actor: 'service' }), {});
    expect(other.writes).toEqual([]);
  });

  it('the registry says done/failed when the task ended that way under its claim, else dead; an earlier dead verdict is kept', () => {
    const ok = { code: 0, signal: null };
    const mine = (status: string) => task('x', { status: status as never, assigned: 'agent-3', claim_epoch: 4 });
    const after = (t: ReturnType<typeof task> | undefined, ex = ok as { code: number | null; signal: string | null }, current = { status: 'working' as const }) => agentAfterExit(current, agent, ex, classifyExit(ex, current), t, {}, NOW);
    expect(after(mine('done')).status).toBe('done');
    expect(after(mine('pending-eval')).status).toBe('done');
    expect(after(mine('failed')).status).toBe('failed');
    expect(after(mine('open')).status).toBe('dead');
    expect(after(task('x', { status: 'done', assigned: 'agent-9' })).status).toBe('dead');
    expect(after(mine('done'), { code: null, signal: 'SIGKILL' })).toMatchObject({ status: 'dead', exit_reason: 'killed by SIGKILL' });
    const declared = agentAfterExit({ status: 'dead', exit_reason: 'killed by wg retry', completed_at: iso(-1000) }, agent, ok, { deliberate: true }, mine('done'), {}, NOW);
    expect(declared).toEqual({ status: 'dead', exit_code: 0, completed_at: iso(-1000), exit_reason: 'killed by wg retry' });
    expect(exitReason({ code: null, signal: null, inferred: true })).toBe('process exited (exit code unknown)');
  });
});

describe('spawnFailureBackoffMs', () => {
  it('1 s, 2 s, 4 s … capped at 5 min', () => {
    expect([1, 2, 3, 4].map(spawnFailureBackoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(spawnFailureBackoffMs(30)).toBe(5 * 60_000);
  });
});
