/**
 * Deaths and recovery with real processes: kill -9 of an agent (re-queue + fast respawn),
 * max_retries exhausted by repeated kills, no orphaned grandchildren (after an exit, after
 * `stop --kill-agents`), the reconciler clearing a dead agent's claim, and `wg service status`
 * naming why each ready task is not running.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { busyAgentsWithGrandchildren } from '../helpers/daemon.js';
import { serviceProject, type ServiceProject, SYSTEM_PATH } from '../helpers/project.js';
import { readIf, seedGraph, writeRegistry } from '../helpers/files.js';
import { groupMembers, groupSignalable, processRunning, waitFor } from '../helpers/proc.js';

describe('recovery', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('kill -9 of an agent → task re-queued (retry_count 1, claim cleared, epoch+1) and respawned in < 3 s', async () => {
    p = serviceProject();
    // The first attempt hangs; the respawned one finishes.
    const agent = p.script(
      p.w('agent.sh'),
      `echo "$WG_AGENT_ID $WG_CLAIM_EPOCH" >> "${p.w('attempts')}"
if [ "$WG_AGENT_ID" = agent-1 ]; then sleep 300; fi
wg done "$WG_TASK_ID"
`,
    );
    p.ok(['add', 'Fragile', '--id', 'frag', '--exec', `bash ${agent}`]);
    p.start();
    const a1 = await p.runningAgent('frag');
    const epoch1 = p.task('frag').claim_epoch as number;
    // The registry's PID is the agent wrapper's: wait until the command itself runs.
    await waitFor('agent-1 ran', () => (readIf(p!.w('attempts')) ?? '').includes('agent-1'));
    const t0 = performance.now();
    process.kill(a1.pid, 'SIGKILL');
    const a2 = await p.runningAgent('frag', { timeoutMs: 5000, not: [a1.id] });
    const ms = performance.now() - t0;
    console.log(`[service] kill -9 → respawned agent running after ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(3000);

    const done = await p.waitStatus('frag', 'done');
    expect(done.retry_count).toBe(1);
    expect(done.assigned).toBe(a2.id);
    // Claim epochs: agent-1's, then +1 for the reclaim, then +1 for agent-2's claim.
    expect(done.claim_epoch).toBe(epoch1 + 2);
    expect(readFileSync(p.w('attempts'), 'utf8').trim().split('\n')).toEqual([`agent-1 ${epoch1}`, `${a2.id} ${epoch1 + 2}`]);
    const log = (done.log as Array<{ message: string }>).map((e) => e.message);
    expect(log.some((m) => m.includes('stale claim cleared: agent agent-1 was killed by SIGKILL'))).toBe(true);
    expect(p.agents()[a1.id]!.status).toBe('dead');
    // The killed agent's own child (its `sleep 300`) went with it: nothing left in its group.
    expect(groupMembers(a1.pgid)).toEqual([]);
    // wg agents sees the same.
    const dead = p.ok(['agents', '--dead', '--json']).json<Array<{ id: string; status: string }>>();
    expect(dead.map((a) => a.id)).toContain(a1.id);
    expect(p.ok(['agents', '--alive', '--json']).json<Array<{ id: string }>>().map((a) => a.id)).not.toContain(a1.id);
    // daemon.log: the exit by signal and the reclaim.
    expect(p.events('agent:exited').find((l) => l.agent === a1.id)).toMatchObject({ signal: 'SIGKILL', action: 'requeued' });
    expect(p.events('claim:reclaimed').some((l) => l.task === 'frag' && l.agent === a1.id && l.failed === false)).toBe(true);
  });

  it('max_retries exhausted by repeated kills → failed (agent-exit-nonzero, the signal in the reason)', async () => {
    p = serviceProject();
    p.ok(['add', 'Doomed', '--id', 'doom', '--max-retries', '1', '--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('doom');
    process.kill(a1.pid, 'SIGKILL');
    const a2 = await p.runningAgent('doom', { timeoutMs: 5000, not: [a1.id] });
    expect(p.task('doom').retry_count).toBe(1);
    process.kill(a2.pid, 'SIGKILL');
    const failed = await p.waitStatus('doom', 'failed', 5000);
    expect(failed.failure_class).toBe('agent-exit-nonzero');
    expect(failed.failure_reason).toMatch(/was killed by SIGKILL; retries exhausted/);
    expect(failed.retry_count).toBe(2);
    expect(failed.assigned).toBeUndefined();
    // And no third agent.
    await new Promise((r) => setTimeout(r, 500));
    expect(p.agentsOf('doom')).toHaveLength(2);
    expect(p.events('claim:reclaimed').filter((l) => l.task === 'doom').map((l) => l.failed)).toEqual([false, true]);
  });

  it('repeated deaths back off exponentially (ready_after); status explains the backoff', async () => {
    p = serviceProject();
    p.ok(['add', 'Crash loop', '--id', 'loop', '--max-retries', '5', '--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('loop');
    process.kill(a1.pid, 'SIGKILL');
    const a2 = await p.runningAgent('loop', { timeoutMs: 5000, not: [a1.id] }); // death 1: respawned at once
    const t0 = Date.now();
    process.kill(a2.pid, 'SIGKILL');
    // Death 2: re-queued with a crash-loop backoff (2 s) instead of an immediate respawn.
    const t = await waitFor('re-queued with ready_after', () => {
      const x = p!.task('loop');
      return x.retry_count === 2 && x.ready_after && !x.assigned ? x : undefined;
    });
    const backoffMs = Date.parse(t.ready_after as string) - t0;
    expect(backoffMs).toBeGreaterThan(1000);
    expect(backoffMs).toBeLessThan(4000);
    const st = p.statusJson();
    const w = st.waiting.find((x) => x.kind === 'backoff');
    expect(w?.tasks).toEqual(['loop']);
    expect(w?.message).toMatch(/crash-loop backoff/);
    const a3 = await p.runningAgent('loop', { timeoutMs: 8000, not: [a2.id] });
    const waited = Date.now() - t0;
    console.log(`[service] crash-loop backoff after the 2nd death: ready_after +${backoffMs} ms, respawned after ${waited} ms`);
    expect(a3.id).not.toBe(a1.id);
    expect(waited).toBeGreaterThanOrEqual(backoffMs - 100);
    expect(waited).toBeLessThan(backoffMs + 2000);
  });

  it('grandchildren die with the agent: after a normal exit no process of its group remains', async () => {
    p = serviceProject();
    const agent = p.script(
      p.w('forker.sh'),
      `sleep 300 &
echo $! >> "${p.w('kids')}"
( sleep 300 & echo $! >> "${p.w('kids')}"; wait ) &
sleep 0.3
exit 0
`,
    );
    p.ok(['add', 'Forks', '--id', 'fork', '--exec', `bash ${agent}`]);
    p.start();
    const a = await p.runningAgent('fork');
    await waitFor('two grandchildren recorded', () => (readIf(p!.w('kids')) ?? '').trim().split('\n').length >= 2);
    const kids = readFileSync(p.w('kids'), 'utf8').trim().split('\n').map(Number);
    for (const k of kids) p.extraPids.add(k);
    expect(groupMembers(a.pgid).length).toBeGreaterThan(1);
    await p.waitStatus('fork', 'done');
    await waitFor(`no process left in group ${a.pgid}`, () => groupMembers(a.pgid).length === 0, 3000);
    for (const k of kids) expect(processRunning(k)).toBe(false);
    // kill -0 -PGID: the group is gone, or holds only zombies waiting for PID 1 to reap them.
    if (groupSignalable(a.pgid)) expect(groupMembers(a.pgid)).toEqual([]);
  });

  it('stop --kill-agents leaves no daemon, agent or grandchild, and releases the claims', async () => {
    p = serviceProject();
    const { pid, agents, kids } = await busyAgentsWithGrandchildren(p);
    const [a1, a2] = agents;

    const t0 = Date.now();
    const r = p.ok(['service', 'stop', '--kill-agents']);
    console.log(`[service] stop --kill-agents (agents ignore SIGTERM, kill_grace 300ms) took ${Date.now() - t0} ms`);
    expect(r.stdout).toMatch(/agents killed/);
    expect(processRunning(pid)).toBe(false);
    for (const a of [a1, a2]) {
      expect(processRunning(a.pid)).toBe(false);
      expect(groupMembers(a.pgid)).toEqual([]);
    }
    for (const k of kids) expect(processRunning(k)).toBe(false);
    for (const id of ['b1', 'b2']) {
      const t = p.task(id);
      expect(t.status).toBe('open');
      expect(t.assigned).toBeUndefined();
      expect(t.retry_count).toBeUndefined(); // a deliberate stop is not a death
    }
    expect(p.agents()[a1.id]!.status).toBe('dead');
    expect(p.events('service:agents-killed')[0]).toMatchObject({ agents: expect.arrayContaining([a1.id, a2.id]) });
  });

  it('stale claim of a dead agent: status names it while stopped; the running service clears it and spawns', async () => {
    p = serviceProject();
    seedGraph(p.graphPath, [
      { id: 'orphan', title: 'Orphaned', status: 'open', assigned: 'agent-99', claim_epoch: 1, exec: 'true', created_at: '2026-01-01T00:00:00Z' },
      { id: 'human', title: 'Mine', status: 'in-progress', assigned: 'alice', claim_epoch: 1, exec: 'true', created_at: '2026-01-01T00:00:00Z' },
    ]);
    writeRegistry(p.wgDir, [{ id: 'agent-99', task_id: 'orphan' }]); // pid 999999: gone

    const st = p.statusJson();
    expect(st.running).toBe(false);
    expect(st.waiting.find((w) => w.kind === 'service-stopped')?.fix).toBe('wg service start');
    const stale = st.waiting.find((w) => w.kind === 'stale-claim');
    expect(stale?.tasks).toEqual(['orphan']);
    expect(stale?.message).toMatch(/agent-99/);
    expect(stale?.fix).toMatch(/^wg unclaim orphan/);
    expect(p.ok(['service', 'status']).stdout).toMatch(/stale claim/);

    p.start();
    const done = await p.waitStatus('orphan', 'done');
    expect(done.retry_count).toBe(1);
    expect(done.assigned).not.toBe('agent-99');
    const log = (done.log as Array<{ message: string }>).map((e) => e.message);
    expect(log.some((m) => m.startsWith('stale claim cleared: agent agent-99'))).toBe(true);
    expect(p.events('claim:reclaimed').some((l) => l.task === 'orphan' && l.agent === 'agent-99')).toBe(true);
    // The agent is marked dead in the registry; the human claim is never touched.
    expect(p.agents()['agent-99']!.status).toBe('dead');
    expect(p.task('human')).toMatchObject({ status: 'in-progress', assigned: 'alice', claim_epoch: 1 });
  });

  it('status explains max_agents while slots are full, and maintenance still runs', async () => {
    p = serviceProject({ dispatcher: { max_agents: 1 } });
    const agent = p.script(p.w('wait.sh'), `while [ ! -f "${p.w('go')}" ]; do sleep 0.05; done\n`);
    p.ok(['add', 'First', '--id', 'one', '--priority', '20', '--exec', `bash ${agent}`]);
    p.ok(['add', 'Second', '--id', 'two', '--exec', `bash ${agent}`]);
    p.start();
    const a = await p.runningAgent('one');
    const st = await waitFor('max-agents explanation', () => {
      const s = p!.statusJson();
      return s.waiting.some((w) => w.kind === 'max-agents') ? s : undefined;
    });
    const w = st.waiting.find((x) => x.kind === 'max-agents')!;
    expect(w.tasks).toEqual(['two']);
    expect(w.message).toMatch(/max_agents = 1/);
    expect(w.fix).toMatch(/max_agents/);
    expect(st.agents_alive.map((x) => x.id)).toEqual([a.id]);

    // Slots are full, yet the reconciler still clears a stale claim on another task.
    p.ok(['add', 'Claimed by a ghost', '--id', 'ghost', '--exec', 'true']);
    p.ok(['claim', 'ghost', '--actor', 'agent-77']);
    const g = await waitFor('ghost claim cleared', () => {
      const t = p!.task('ghost');
      return t.assigned === undefined && t.retry_count === 1 ? t : undefined;
    });
    expect(g.status).toBe('open');
    expect((g.log as Array<{ message: string }>).at(-1)!.message).toMatch(/^stale claim cleared: agent agent-77 is unknown to the agent registry/);
    expect(p.agentsOf('ghost')).toHaveLength(0); // still no free slot
    expect(p.agentsOf('two')).toHaveLength(0);
  });

  it('status explains a missing executor (executor = "claude" with no claude on PATH)', async () => {
    p = serviceProject({ dispatcher: { executor: 'claude' } });
    p.setPath(SYSTEM_PATH); // no fake bin dir, so no claude anywhere
    p.ok(['add', 'Needs claude', '--id', 'nc']);
    p.start();
    const st = await waitFor('executor-missing explanation', () => {
      const s = p!.statusJson();
      return s.waiting.some((w) => w.kind === 'executor-missing') ? s : undefined;
    });
    const w = st.waiting.find((x) => x.kind === 'executor-missing')!;
    expect(w.tasks).toEqual(['nc']);
    expect(w.message).toMatch(/'claude' is not on PATH/);
    expect(w.fix).toMatch(/executor/);
    expect(p.task('nc').status).toBe('open');
    expect(Object.keys(p.agents())).toHaveLength(0);
    // The service's own tick summary agrees.
    await waitFor('tick summary with executor-missing', () => p!.events('tick:done').some((l) => (l.waiting as Record<string, number>)['executor-missing'] === 1));
  });
});
