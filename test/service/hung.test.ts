/**
 * Hung agents caught without a human (issue 9 point 7): an agent with no output, no `wg` call
 * and no CPU in its process group for `idle_timeout` is killed (whole group) and its task
 * re-queued like a death, counted toward max_retries. First in-process on an injected clock
 * (no real waiting for 10 minutes), then through the real `wg service start` with a small
 * idle_timeout: `sleep 600` is caught, a CPU-busy grandchild with no output is not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneTick, serviceHarness } from '../helpers/daemon.js';
import { groupMembers, processRunning, sleep, waitFor } from '../helpers/proc.js';

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** A grandchild that keeps using CPU (a little, every 0.2 s) and never prints: a "long build". */
const BUSY = `bash -c 'while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 0.2; done' & wait`;

describe('hung agents (in-process daemon, injected clock)', () => {
  const svc = serviceHarness();

  it('sleep 600 idle for idle_timeout (10m, by advancing the clock) → killed (hung), re-queued, counted; a CPU-busy agent survives', async () => {
    // No safety-poll ticks: the test decides when the service looks (see below).
    const p = svc.project({ dispatcher: { idle_timeout: '10m', poll_interval: '1h' } });
    const s = await svc.start(p);
    await p.wg(['add', 'Hangs', '--id', 'hangs', '--exec', 'wg log $WG_TASK_ID starting; sleep 600']);
    await p.wg(['add', 'Builds', '--id', 'builds', '--exec', BUSY]);
    const hung = await s.next('agent:spawned', { task: 'hangs' });
    const busy = await s.next('agent:spawned', { task: 'builds' });
    // The agent's `wg log` touched its wg-call marker (a sign of life the service reads).
    await waitFor('the wg call marker', () => existsSync(join(p.wgDir, 'agents', hung.agent, 'wg-call')));
    await waitFor('the log entry', () => p.task('hangs').log?.some((l) => l.message === 'starting'));
    // …and its `wg log` process has ended (on a loaded machine it can still be exiting, burning
    // CPU after the look below, which rightly reads as a sign of life): only sleep is left.
    await waitFor('the wg call to exit', () => groupMembers(hung.pid).every((pid) => !cmdline(pid).includes('wg.mjs log')));
    // The service samples at most every 30 s (1/20 of idle_timeout): move 31 s on, so the next
    // tick looks again and sees the wg call. Nothing is idle for 10 minutes yet.
    s.clock.advance(31_000);
    await oneTick(s);
    expect(s.of('agent:killed')).toEqual([]);
    const idle = s.daemon.statusView().idle_ms as Record<string, number>;
    expect(Object.keys(idle).sort()).toEqual([hung.agent, busy.agent].sort());
    // The rule credits CPU used between two looks. The clock jumps 10 minutes at once, so the
    // look before the jump must be some real time old: wait for a quiet 500 ms with no tick (in
    // which the busy grandchild burns CPU and the sleeper does not), then jump.
    for (;;) {
      const n = s.of('tick:done').length;
      await sleep(500);
      if (s.of('tick:done').length === n) break;
    }
    s.clock.advance(10 * 60_000 + 1000);
    const mark = s.events.length;
    s.daemon.requestTick(0);
    const killed = await s.next('agent:killed', { task: 'hangs' }, mark);
    expect(killed).toEqual({ agent: hung.agent, task: 'hangs', reason: 'hung' });
    const reclaimed = await s.next('claim:reclaimed', { task: 'hangs' }, mark);
    expect(reclaimed).toEqual({ task: 'hangs', agent: hung.agent, reason: 'hung: no output, no wg call, no CPU for 10m', failed: false });
    await s.next('agent:exited', { agent: hung.agent }, mark);
    await waitFor('the hung group is gone', () => groupMembers(hung.pid).length === 0);
    const t = p.task('hangs');
    expect(t.retry_count).toBe(1);
    expect(t.log?.map((l) => l.message)).toContainEqual(`stale claim cleared: agent ${hung.agent} hung: no output, no wg call, no CPU for 10m`);
    expect(p.agents()[hung.agent]).toMatchObject({ status: 'dead', exit_reason: 'hung: no output, no wg call, no CPU for 10m' });
    // The busy one was not touched: it used CPU between the two looks.
    expect(s.of('agent:killed', { task: 'builds' })).toEqual([]);
    expect(processRunning(busy.pid)).toBe(true);
    expect(p.task('builds')).toMatchObject({ status: 'in-progress', assigned: busy.agent });
    // Re-queued like a death: a new agent (after the death's back-off, if any).
    await s.next('agent:spawned', { task: 'hangs' }, mark, 15_000);
  });

  it('idle_timeout = "0" turns the check off', async () => {
    const p = svc.project({ dispatcher: { idle_timeout: '0', agent_timeout: '0' } });
    const s = await svc.start(p);
    await p.wg(['add', 'Hangs', '--id', 'hangs', '--exec', 'sleep 600']);
    const a = await s.next('agent:spawned', { task: 'hangs' });
    s.clock.advance(24 * 60 * 60_000);
    const ticks = s.of('tick:done').length;
    s.daemon.requestTick(0);
    await waitFor('two ticks', () => s.of('tick:done').length > ticks + 1 || (s.daemon.requestTick(0), false));
    expect(s.of('agent:killed')).toEqual([]);
    expect(processRunning(a.pid)).toBe(true);
    expect(s.daemon.statusView().idle_timeout_ms).toBe(0);
  });
});

describe('hung agents (real service, small idle_timeout)', () => {
  const svc = serviceHarness();

  it('sleep 600 is caught after idle_timeout (twice: re-queued, then failed past max_retries); a CPU-busy grandchild with no output is not; idle times shown', async () => {
    const p = svc.project({ dispatcher: { idle_timeout: '2s', poll_interval: '500ms', max_retries: 1 } });
    p.add('hangs', ['--exec', 'sleep 600']);
    p.add('builds', ['--exec', BUSY]);
    const t0 = Date.now();
    p.start();
    const first = await p.runningAgent('hangs');
    const busy = await p.runningAgent('builds');
    // While it runs, the busy agent shows an idle time (from the service).
    await p.ticks(2);
    const st = p.statusJson() as unknown as { agents_alive: Array<{ id: string; idle_secs: number | null }> };
    expect(st.agents_alive.find((a) => a.id === busy.id)?.idle_secs).toEqual(expect.any(Number));
    const status = p.ok(['service', 'status']).stdout;
    expect(status).toMatch(new RegExp(`${busy.id}  builds  shell  pid ${busy.pid}  idle \\d+s`));
    expect(status).toMatch(/idle_timeout=2s/);
    const agentsOut = p.ok(['agents', '--alive']).stdout;
    expect(agentsOut).toMatch(/IDLE/);
    expect(agentsOut).toMatch(new RegExp(`${busy.id}\\s+builds\\s+shell\\s+${busy.pid}\\s+\\S+\\s+\\d+s\\s+working`));

    const failed = await p.waitStatus('hangs', 'failed', 20_000);
    const [a1, a2] = p.agentsOf('hangs');
    // Re-queued once (counted), then failed past max_retries = 1.
    expect(failed.log?.map((l) => l.message)).toContainEqual(`stale claim cleared: agent ${first.id} hung: no output, no wg call, no CPU for 2s`);
    expect(failed).toMatchObject({ retry_count: 2 });
    expect(failed.failure_reason).toBe(`agent ${a2!.id} hung: no output, no wg call, no CPU for 2s; retries exhausted (1/1)`);
    for (const a of [a1!, a2!]) {
      expect(a).toMatchObject({ status: 'dead', exit_reason: 'hung: no output, no wg call, no CPU for 2s' });
      await waitFor(`${a.id}'s group is gone`, () => groupMembers(a.pgid!).length === 0);
      // Killed within a tick or two of idle_timeout after its spawn (it never did anything).
      const lived = Date.parse(String(a.completed_at)) - Date.parse(String(a.started_at));
      expect(lived).toBeGreaterThanOrEqual(2000);
      expect(lived).toBeLessThan(2000 + 1500);
    }
    // The busy agent ran the whole time (≥ 2 × idle_timeout) without output and was never killed.
    expect(Date.now() - t0).toBeGreaterThan(4000);
    expect(processRunning(busy.pid)).toBe(true);
    expect(p.task('builds')).toMatchObject({ status: 'in-progress', assigned: busy.id });
    expect(p.agents()[busy.id]!.status).toBe('working');
    expect(p.events('agent:killed').filter((e) => e.task === 'builds')).toEqual([]);
  });
});
