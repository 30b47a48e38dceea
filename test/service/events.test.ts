/**
 * The daemon built in-process on an injected clock, its typed lifecycle events asserted in
 * order (as graphile-worker's events test does): spawn → exit → done; a crash (kill -9) →
 * reclaimed and respawned; a hard timeout reached by advancing the clock (no real waiting);
 * claim moved → agent stopped; pause/resume through the IPC handlers; a throwing listener
 * never breaks a tick. Agents are real shell processes calling the built `wg`.
 */
import { describe, expect, it } from 'vitest';
import { planUnclaim } from '../../src/core/plans/claim.js';
import { request } from '../../src/service/ipc.js';
import { handleRequest } from '../../src/service/ipc-server.js';
import { pathsFor } from '../../src/store/paths.js';
import { JsonlStore } from '../../src/store/store.js';
import { oneTick, serviceHarness, story } from '../helpers/daemon.js';
import { groupMembers, waitFor } from '../helpers/proc.js';

describe('service events (in-process daemon, injected clock)', () => {
  const svc = serviceHarness();

  it('spawn → exit 0 → done, in order; a throwing listener is reported and the tick carries on', async () => {
    const p = svc.project();
    const s = await svc.start(p);
    expect(s.events[0]).toMatchObject({ event: 'service:started', data: { max_agents: 4, executor: 'shell', paused: false } });
    s.daemon.events.on('agent:spawned', () => {
      throw new Error('dashboard bug');
    });
    const r = await p.wg(['add', 'Quick', '--id', 'quick', '--exec', 'echo hi']);
    expect(r.code).toBe(0);
    await s.next('agent:exited', { task: 'quick' });
    expect(story(s, 'quick')).toEqual(['agent:spawned agent-1', 'agent:exited agent-1 done']);
    expect(s.of('agent:exited', { task: 'quick' })[0]).toMatchObject({ code: 0, signal: null });
    expect(p.task('quick').status).toBe('done');
    expect(s.of('listener:error')).toEqual([{ event: 'agent:spawned', error: 'dashboard bug' }]);
    // Every tick ends with its summary; the one that spawned says so.
    expect(s.of('tick:done').some((t) => t.spawned === 1)).toBe(true);
    await waitFor('registry says done', () => p.agents()['agent-1']?.status === 'done');
  });

  it('kill -9 of an agent → exited (signal) → reclaimed → a new agent spawned', async () => {
    const p = svc.project();
    const s = await svc.start(p);
    await p.wg(['add', 'Crashy', '--id', 'crashy', '--exec', 'sleep 300']);
    const first = await s.next('agent:spawned', { task: 'crashy' });
    process.kill(first.pid, 'SIGKILL');
    const second = await s.next('agent:spawned', { task: 'crashy', agent: 'agent-2' });
    expect(story(s, 'crashy')).toEqual(['agent:spawned agent-1', 'claim:reclaimed agent-1 requeued', 'agent:exited agent-1 requeued', 'agent:spawned agent-2']);
    expect(s.of('agent:exited', { agent: 'agent-1' })[0]).toMatchObject({ code: null, signal: 'SIGKILL' });
    const t = p.task('crashy');
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'agent-2', retry_count: 1, claim_epoch: 3 });
    expect(second.epoch).toBe(3);
  });

  it('hard timeout reached by advancing the injected clock → killed (timeout) → failed agent-hard-timeout', async () => {
    const p = svc.project();
    const s = await svc.start(p);
    await p.wg(['add', 'Slow', '--id', 'slow', '--exec', 'sleep 300', '--timeout', '10m']);
    const a = await s.next('agent:spawned', { task: 'slow' });
    // Nothing happens while the clock stands still, whatever the real time.
    await oneTick(s);
    expect(s.of('agent:killed')).toEqual([]);
    s.clock.advance(10 * 60_000 + 1);
    s.daemon.requestTick(0);
    await s.next('agent:exited', { task: 'slow' });
    expect(story(s, 'slow')).toEqual(['agent:spawned agent-1', 'agent:killed agent-1 timeout', 'agent:exited agent-1 failed/timeout']);
    expect(p.task('slow')).toMatchObject({ status: 'failed', failure_class: 'agent-hard-timeout' });
    expect(groupMembers(a.pid)).toEqual([]);
    expect(p.agents()[a.agent]).toMatchObject({ status: 'dead', exit_reason: 'killed (timeout)' });
  });

  it('pause (IPC) → claim moved by another process → agent stopped, nothing respawned → resume (IPC) → respawned', async () => {
    const p = svc.project();
    const s = await svc.start(p);
    await p.wg(['add', 'Moved', '--id', 'moved', '--exec', 'sleep 300']);
    const a = await s.next('agent:spawned', { task: 'moved' });
    // Through the socket, as `wg service pause` sends it; and the handlers directly.
    expect(await request(pathsFor(p.wgDir), { cmd: 'pause' })).toEqual({ ok: true, paused: true });
    expect(handleRequest(s.daemon.handlers, JSON.stringify({ cmd: 'pause', agent_id: 'agent-9' }))).toEqual({ ok: false, error: 'an agent (agent-9) cannot pause the service' });
    const mark = s.events.length;
    // Another process releases the claim without touching the agent (as the Rust tool's
    // unclaim does; our `wg unclaim` would kill the agent itself): the service must notice.
    const who = { actor: 'rust-user', user: 'rust-user', now: new Date() };
    await new JsonlStore(pathsFor(p.wgDir)).mutate((g) => planUnclaim(g, 'moved', who), who);
    await s.next('agent:exited', { task: 'moved' }, mark);
    await waitFor('a tick that saw the task wait (paused)', () => s.events.slice(mark).some((e) => e.event === 'tick:done' && e.data.waiting.paused === 1));
    expect(story(s, 'moved')).toEqual(['agent:spawned agent-1', 'agent:killed agent-1 claim-lost', 'agent:exited agent-1 none/claim-lost']);
    expect(groupMembers(a.pid)).toEqual([]);
    expect(p.task('moved')).toMatchObject({ status: 'open' });
    expect(p.task('moved').retry_count).toBeUndefined();

    expect(handleRequest(s.daemon.handlers, JSON.stringify({ cmd: 'resume' }))).toEqual({ ok: true, paused: false });
    await s.next('agent:spawned', { task: 'moved', agent: 'agent-2' });
    const names = s.events.map((e) => e.event).filter((e) => e.startsWith('service:'));
    expect(names).toEqual(['service:started', 'service:paused', 'service:resumed']);
  });
});
