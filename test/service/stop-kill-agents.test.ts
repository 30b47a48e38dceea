/**
 * `wg service stop --kill-agents` whatever the service's state (issue 14, point 2): after the
 * service was killed with kill -9 its agents still run, and the command kills them (whole
 * groups), releases their claims, marks them dead and names them. Without any service, the
 * registry's records are checked against the process table before any signal: a record that
 * names a process it cannot prove is its agent's is marked dead, reported, never signalled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { busyAgentsWithGrandchildren } from '../helpers/daemon.js';
import { serviceProject, type Project } from '../helpers/project.js';
import { seedGraph } from '../helpers/files.js';
import { groupMembers, processRunning, safeKill, waitFor } from '../helpers/proc.js';

describe('service stop --kill-agents, whatever the service state', () => {
  let p: Project | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('a service killed with kill -9: its agents (and grandchildren) are killed, named, their claims released', async () => {
    p = serviceProject();
    const { pid, agents, kids } = await busyAgentsWithGrandchildren(p);
    const [a1, a2] = agents;

    safeKill(pid, 'SIGKILL');
    await waitFor('the service gone', () => !processRunning(pid));
    expect(p.statusJson().running).toBe(false);

    const r = p.run(['service', 'stop', '--kill-agents']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Service is not running; agents killed: /);
    expect(r.stdout).toContain(a1.id);
    expect(r.stdout).toContain(a2.id);
    for (const a of [a1, a2]) {
      expect(processRunning(a.pid)).toBe(false);
      expect(groupMembers(a.pgid)).toEqual([]);
      expect(p.agents()[a.id]!.status).toBe('dead');
    }
    for (const k of kids) expect(processRunning(k)).toBe(false);
    for (const id of ['b1', 'b2']) {
      const t = p.task(id);
      expect(t.status).toBe('open');
      expect(t.assigned).toBeUndefined();
    }
    // Nothing is left: a second call kills nothing.
    const again = p.ok(['--json', 'service', 'stop', '--kill-agents']).json<{ stopped: boolean; killed: string[] }>();
    expect(again).toMatchObject({ stopped: false, killed: [] });
  });

  it('no service: an honest record is killed; records naming an unrelated group or process are marked dead, not signalled', async () => {
    p = serviceProject();
    seedGraph(p.graphPath, ['t1', 't2', 't3', 't4'].map((id, i) => ({ id, title: id, status: 'in-progress', assigned: `agent-${i + 1}`, claim_epoch: 1, exec: 'true', created_at: '2026-01-01T00:00:00Z' })));
    const honest = p.liveProcess();
    const bystander = p.liveProcess();
    const other = p.liveProcess();
    p.writeRegistry([
      { id: 'agent-1', task_id: 't1', pid: honest.pid, pgid: honest.pgid, proc_start: honest.procStart },
      // The bystander's pid and start time, but another group: not provably the agent's group.
      { id: 'agent-2', task_id: 't2', pid: bystander.pid, pgid: other.pgid, proc_start: bystander.procStart },
      // Group 1: kill(-1) would signal every process of the machine.
      { id: 'agent-3', task_id: 't3', pid: other.pid, pgid: 1, proc_start: other.procStart },
      // Our own group.
      { id: 'agent-4', task_id: 't4', pid: bystander.pid, pgid: process.pid, proc_start: bystander.procStart },
    ]);
    const r = p.run(['--json', 'service', 'stop', '--kill-agents']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ stopped: boolean; killed: string[]; marked_dead: string[] }>();
    expect(out.stopped).toBe(false);
    expect(out.killed).toEqual(['agent-1']);
    expect(out.marked_dead.sort()).toEqual(['agent-2', 'agent-3', 'agent-4']);
    for (const id of ['agent-2', 'agent-3', 'agent-4']) expect(r.stderr).toMatch(new RegExp(`warning: ${id} was not signalled`));
    await waitFor('the honest agent gone', () => !processRunning(honest.pid), 5000);
    expect(processRunning(bystander.pid)).toBe(true);
    expect(processRunning(other.pid)).toBe(true);
    const agents = p.agents();
    for (const id of ['agent-1', 'agent-2', 'agent-3', 'agent-4']) expect(agents[id]!.status).toBe('dead');
    for (const id of ['t1', 't2', 't3', 't4']) expect(p.task(id)).toMatchObject({ status: 'open' });
  });
});
