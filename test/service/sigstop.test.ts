/**
 * A stopped agent (SIGSTOP) is alive but makes no progress. The service does not renew its
 * lease, so after heartbeat_timeout it is declared dead, its whole group is killed (SIGCONT is
 * sent with the SIGTERM) and the task is re-queued; `wg retry` also recovers it at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { groupMembers, waitFor } from '../helpers/proc.js';

describe('stopped agents', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('sigstop_agent_lease_expires_and_task_respawns', async () => {
    p = serviceProject({ dispatcher: { heartbeat_timeout: '1s', poll_interval: '250ms' } });
    const agent = p.script(p.w('agent.sh'), `if [ "$WG_AGENT_ID" = agent-1 ]; then sleep 300; fi\nwg done "$WG_TASK_ID"\n`);
    p.ok(['add', 'Stops', '--id', 'stops', '--exec', `bash ${agent}`]);
    p.start();
    const a1 = await p.runningAgent('stops');
    const t0 = performance.now();
    process.kill(-a1.pgid, 'SIGSTOP');
    // The respawned agent finishes at once: wait for its registry entry, whatever its status.
    const a2 = await waitFor('a second agent on stops', () => p!.agentsOf('stops').find((a) => a.id !== a1.id), 10_000);
    const ms = performance.now() - t0;
    console.log(`[service] SIGSTOP → lease expired → respawned after ${ms.toFixed(0)} ms (heartbeat_timeout 1s)`);
    // The lease runs from its last renewal, which is up to one poll (250 ms) before the SIGSTOP:
    // declared dead no sooner than heartbeat_timeout minus that poll.
    expect(ms).toBeGreaterThan(1000 - 250);
    expect(ms).toBeLessThan(6000);
    const done = await p.waitStatus('stops', 'done');
    expect(done.assigned).toBe(a2.id);
    expect(done.retry_count).toBe(1);
    expect(p.agents()[a1.id]).toMatchObject({ status: 'dead', exit_reason: 'lease expired (process stopped)' });
    await waitFor('the stopped group to be gone', () => groupMembers(a1.pgid).length === 0, 5000);
    expect(p.events('agent:killed').some((l) => l.agent === a1.id && l.reason === 'lease-expired')).toBe(true);
  });

  it('retry_recovers_a_stopped_agent_within_kill_grace', async () => {
    p = serviceProject({ dispatcher: { heartbeat_timeout: '60s', kill_grace: '500ms' } });
    const agent = p.script(p.w('agent.sh'), `if [ "$WG_AGENT_ID" = agent-1 ]; then sleep 300; fi\nwg done "$WG_TASK_ID"\n`);
    p.ok(['add', 'Frozen', '--id', 'frozen', '--exec', `bash ${agent}`]);
    p.start();
    const a1 = await p.runningAgent('frozen');
    process.kill(-a1.pgid, 'SIGSTOP');
    const t0 = performance.now();
    p.ok(['retry', 'frozen']);
    await waitFor('a second agent on frozen', () => p!.agentsOf('frozen').find((a) => a.id !== a1.id), 5000);
    console.log(`[service] wg retry of a SIGSTOPped agent → new agent after ${(performance.now() - t0).toFixed(0)} ms`);
    await p.waitStatus('frozen', 'done');
    // The stopped group got SIGCONT + SIGTERM, then SIGKILL: nothing of it is left.
    await waitFor('the stopped group to be gone', () => groupMembers(a1.pgid).length === 0, 5000);
  });
});
