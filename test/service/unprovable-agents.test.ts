/**
 * The service adopts only agents whose registry record provably names their process (issue 14,
 * point 1): a live local process whose record claims process group 1, an unrelated group or the
 * service's own group is a dead agent, reported (agent:dead, "not adopted: …"), its claim
 * reclaimed — and never signalled, not even by `stop --kill-agents`. An honest record is
 * adopted and killed on stop as before. In-process daemon; the stand-in agents are real.
 */
import { describe, expect, it } from 'vitest';
import { serviceHarness } from '../helpers/daemon.js';
import { seedGraph } from '../helpers/files.js';
import { procStat, processRunning, waitFor } from '../helpers/proc.js';

describe('the service and records it cannot prove', () => {
  const svc = serviceHarness();

  it('group 1, a foreign group, its own group: dead and reported, never signalled; an honest record is adopted', async () => {
    const p = svc.project({ dispatcher: { max_agents: 0 } });
    const ids = ['t1', 't2', 't3', 't4'];
    seedGraph(p.graphPath, ids.map((id, i) => ({ id, title: id, status: 'in-progress', assigned: `agent-${i + 1}`, claim_epoch: 1, exec: 'true', created_at: '2026-01-01T00:00:00Z' })));
    const a = p.liveProcess();
    const b = p.liveProcess();
    const honest = p.liveProcess();
    const ownGroup = procStat(process.pid)!.pgrp;
    p.writeRegistry([
      { id: 'agent-1', task_id: 't1', pid: a.pid, pgid: 1, proc_start: a.procStart },
      { id: 'agent-2', task_id: 't2', pid: a.pid, pgid: b.pgid, proc_start: a.procStart },
      { id: 'agent-3', task_id: 't3', pid: b.pid, pgid: ownGroup, proc_start: b.procStart },
      { id: 'agent-4', task_id: 't4', pid: honest.pid, pgid: honest.pgid, proc_start: honest.procStart },
    ]);
    const s = await svc.start(p);
    s.daemon.requestTick(0);
    const reasons = await Promise.all(['agent-1', 'agent-2', 'agent-3'].map((agent) => s.next('agent:dead', { agent })));
    expect(reasons[0]!.reason).toMatch(/^not adopted: its process group 1 is not one wg could have started/);
    expect(reasons[1]!.reason).toMatch(new RegExp(`^not adopted: process group ${b.pgid} is not PID ${a.pid}'s`));
    expect(reasons[2]!.reason).toMatch(new RegExp(`^not adopted: process group ${ownGroup} is wg's own`));
    await s.next('agent:adopted', { agent: 'agent-4' });
    expect(s.of('agent:adopted').map((e) => e.agent)).toEqual(['agent-4']);
    for (const id of ['t1', 't2', 't3']) await s.next('claim:reclaimed', { task: id });
    const agents = p.agents();
    for (const id of ['agent-1', 'agent-2', 'agent-3']) expect(agents[id]!.status).toBe('dead');

    await s.stop();
    await waitFor('the honest agent killed on stop', () => !processRunning(honest.pid), 5000);
    expect(processRunning(a.pid)).toBe(true);
    expect(processRunning(b.pid)).toBe(true);
    expect(processRunning(process.pid)).toBe(true);
  });
});
