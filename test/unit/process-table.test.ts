/**
 * The signal check (issue 14, point 1) against real processes: wg signals a process group only
 * when the registry record provably names the agent it started — pid and pgid above 1, not
 * wg's own group, the PID's start time as recorded, and the PID really leading that group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSignalTarget, killAgentGroup, ownProcessGroup, procIdentity, signalGroup } from '../../src/agents/process-table.js';
import { deadPid, processRunning, safeKill, waitFor } from '../helpers/proc.js';

const started: ChildProcess[] = [];

/** A `sleep` in its own process group (detached), or in ours. */
async function sleeper(opts: { ownGroup: boolean }): Promise<{ pid: number; start: string; pgrp: number }> {
  const child = spawn('sleep', ['60'], { detached: opts.ownGroup, stdio: 'ignore' });
  started.push(child);
  const pid = child.pid!;
  const id = await waitFor(`/proc/${pid}/stat`, () => procIdentity(pid));
  return { pid, start: id.start, pgrp: id.pgrp };
}

afterEach(() => {
  for (const c of started.splice(0)) if (c.pid) safeKill(c.pid);
});

describe('checkSignalTarget', () => {
  it('accepts the record of a process leading its own group, with its start time', async () => {
    const a = await sleeper({ ownGroup: true });
    expect(a.pgrp).toBe(a.pid);
    expect(checkSignalTarget({ pid: a.pid, pgid: a.pid, procStart: a.start })).toEqual({ ok: true, pid: a.pid, pgid: a.pid });
  });

  it.each([0, 1, -1, 1.5, Number.NaN, 2 ** 53, '12', null, undefined])('refuses pgid %s, whatever the pid', async (pgid) => {
    const a = await sleeper({ ownGroup: true });
    const r = checkSignalTarget({ pid: a.pid, pgid, procStart: a.start });
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('gone');
  });

  it.each([0, 1, -1, 1.5, '12', null])('refuses pid %s', async (pid) => {
    const a = await sleeper({ ownGroup: true });
    const r = checkSignalTarget({ pid, pgid: a.pid, procStart: a.start });
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('gone');
  });

  it("refuses wg's own process group, even for a real child with its true start time", async () => {
    const own = ownProcessGroup();
    expect(own).toBeGreaterThan(0);
    const c = await sleeper({ ownGroup: false });
    expect(c.pgrp).toBe(own);
    const asOwnGroup = checkSignalTarget({ pid: c.pid, pgid: own, procStart: c.start });
    expect(asOwnGroup).toMatchObject({ ok: false, reason: `process group ${own} is wg's own` });
    // Its own PID as the group: not the group it is really in.
    expect(checkSignalTarget({ pid: c.pid, pgid: c.pid, procStart: c.start })).toMatchObject({ ok: false, reason: expect.stringContaining(`is not PID ${c.pid}'s`) });
    // Our own PID as the agent.
    expect(checkSignalTarget({ pid: process.pid, pgid: process.pid, procStart: procIdentity(process.pid)!.start }).ok).toBe(false);
  });

  it("refuses a foreign group: another process's group named with our agent's pid and start time", async () => {
    const agent = await sleeper({ ownGroup: true });
    const bystander = await sleeper({ ownGroup: true });
    const r = checkSignalTarget({ pid: agent.pid, pgid: bystander.pid, procStart: agent.start });
    expect(r).toMatchObject({ ok: false, reason: `process group ${bystander.pid} is not PID ${agent.pid}'s (its group is ${agent.pid})` });
    expect(r).not.toHaveProperty('gone');
  });

  it('refuses a record without a start time, or with another one (a recycled PID): the latter is a dead agent', async () => {
    const a = await sleeper({ ownGroup: true });
    expect(checkSignalTarget({ pid: a.pid, pgid: a.pid, procStart: undefined })).toMatchObject({ ok: false, reason: expect.stringContaining('no start time') });
    expect(checkSignalTarget({ pid: a.pid, pgid: a.pid, procStart: '' })).toMatchObject({ ok: false });
    expect(checkSignalTarget({ pid: a.pid, pgid: a.pid, procStart: String(Number(a.start) + 1) })).toEqual({ ok: false, reason: `PID ${a.pid} now belongs to another process`, gone: true });
  });

  it('a PID that is gone is a dead agent, not a refusal', () => {
    const pid = deadPid();
    expect(checkSignalTarget({ pid, pgid: pid, procStart: '123' })).toEqual({ ok: false, reason: `process ${pid} is gone`, gone: true });
  });
});

describe('killing through the check', () => {
  it('a record naming a foreign group is refused and nothing is signalled; the true record kills the agent', async () => {
    const agent = await sleeper({ ownGroup: true });
    const bystander = await sleeper({ ownGroup: true });
    const refused = await killAgentGroup({ pid: agent.pid, pgid: bystander.pid, procStart: agent.start }, 50);
    expect(refused).toEqual({ signalled: false, refused: expect.stringContaining(`process group ${bystander.pid}`) });
    expect(processRunning(bystander.pid)).toBe(true);
    expect(processRunning(agent.pid)).toBe(true);
    expect(await killAgentGroup({ pid: agent.pid, pgid: agent.pid, procStart: agent.start }, 50)).toEqual({ signalled: true });
    await waitFor('the agent to die', () => !processRunning(agent.pid));
    expect(processRunning(bystander.pid)).toBe(true);
  });

  it("signalGroup never signals a group id of 0 or below, or wg's own group", async () => {
    // Signal 0 delivers nothing: it only asks whether the target exists. The refusals return
    // false before any kill(2); a real group answers true.
    const signal = 0 as unknown as NodeJS.Signals;
    for (const g of [0, 1, -1, ownProcessGroup()!]) expect(signalGroup(g, signal)).toBe(false);
    const a = await sleeper({ ownGroup: true });
    expect(signalGroup(a.pid, signal)).toBe(true);
  });
});
