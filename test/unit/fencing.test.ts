import { describe, expect, it } from 'vitest';
import { ExitCode, WgError } from '../../src/core/errors.js';
import type { Graph } from '../../src/core/graph.js';
import { checkFence, checkOwnFence, type Actor } from '../../src/core/plan.js';
import { planArtifact, planLog } from '../../src/core/plans/annotate.js';
import { planClaim, planUnclaim } from '../../src/core/plans/claim.js';
import { planDone, planFail } from '../../src/core/plans/finish.js';
import { agent, apply, graph, task, wgError, who } from './fixtures.js';

type Write = (g: Graph, id: string, a: Actor) => { writes: unknown[] };
const FENCED: Array<[string, Write]> = [
  ['done', (g, id, a) => planDone(g, id, a)],
  ['fail', (g, id, a) => planFail(g, id, a, { reason: 'r' })],
  ['log', (g, id, a) => planLog(g, id, 'msg', a)],
  ['artifact', (g, id, a) => planArtifact(g, id, 'out.txt', a)],
];

const held = (id: string, assigned: string | undefined, epoch: number, status: 'in-progress' | 'open' = 'in-progress') =>
  task(id, { status, ...(assigned ? { assigned } : {}), claim_epoch: epoch });

describe.each(FENCED)('fencing: %s', (_name, write) => {
  it('the right agent at the right epoch passes', () => {
    const g = graph(held('x', 'agent-1', 2));
    expect(write(g, 'x', agent('agent-1', 'x', 2)).writes.length).toBeGreaterThan(0);
  });

  it('a wrong epoch is claim lost (exit 3), nothing written', () => {
    const g = graph(held('x', 'agent-1', 3));
    const err = wgError(() => write(g, 'x', agent('agent-1', 'x', 2)), 'claim_lost', ExitCode.claimLost);
    expect(err.message).toBe("claim lost: task 'x' is now held by agent-1 (epoch 3)");
  });

  it('another holder is claim lost', () => {
    const g = graph(held('x', 'agent-7', 5));
    const err = wgError(() => write(g, 'x', agent('agent-1', 'x', 4)), 'claim_lost', 3);
    expect(err.message).toBe("claim lost: task 'x' is now held by agent-7 (epoch 5)");
  });

  it('a human holder is claim lost for the old agent', () => {
    const g = graph(held('x', 'alice', 2));
    expect(wgError(() => write(g, 'x', agent('agent-1', 'x', 1)), 'claim_lost', 3).message).toBe("claim lost: task 'x' is now held by alice (epoch 2)");
  });

  it('its own task now unclaimed is claim lost', () => {
    const g = graph(held('x', undefined, 2, 'open'));
    const err = wgError(() => write(g, 'x', agent('agent-1', 'x', 1)), 'claim_lost', 3);
    expect(err.message).toBe("claim lost: task 'x' is now held by nobody (epoch 2)");
  });

  it('the same agent id re-spawned at a newer epoch fences the old process out', () => {
    // agent-1 claimed at epoch 1, was unclaimed (2) and re-claimed by agent-1 again (3)
    const g = graph(held('x', 'agent-1', 3));
    wgError(() => write(g, 'x', agent('agent-1', 'x', 1)), 'claim_lost', 3);
    expect(write(g, 'x', agent('agent-1', 'x', 3)).writes.length).toBeGreaterThan(0);
  });

  it('a write to another task not held by anyone else is allowed', () => {
    const g = graph(held('x', 'agent-1', 1), task('other'), held('mine-too', 'agent-1', 9));
    expect(write(g, 'other', agent('agent-1', 'x', 1)).writes.length).toBeGreaterThan(0);
    // held by the same agent at whatever epoch
    expect(write(g, 'mine-too', agent('agent-1', 'x', 1)).writes.length).toBeGreaterThan(0);
  });

  it('a write to another task held by someone else is claim lost', () => {
    const g = graph(held('x', 'agent-1', 1), held('theirs', 'agent-2', 4));
    const err = wgError(() => write(g, 'theirs', agent('agent-1', 'x', 1)), 'claim_lost', 3);
    expect(err.message).toBe("claim lost: task 'theirs' is now held by agent-2 (epoch 4)");
  });

  it('without an agent id (a human) there is no fence', () => {
    const g = graph(held('x', 'agent-7', 5));
    expect(write(g, 'x', who()).writes.length).toBeGreaterThan(0);
  });
});

describe('checkFence', () => {
  it('an agent without a fenced task id must hold the task it writes', () => {
    expect(() => checkFence(held('x', 'agent-1', 4), { now: new Date(0), actor: 'agent-1', agentId: 'agent-1' })).not.toThrow();
    expect(() => checkFence(held('x', 'agent-2', 4), { now: new Date(0), actor: 'agent-1', agentId: 'agent-1' })).toThrow(WgError);
    expect(() => checkFence(held('x', undefined, 4, 'open'), { now: new Date(0), actor: 'agent-1', agentId: 'agent-1' })).toThrow(/held by nobody/);
  });
  it('an agent without an epoch is checked on the holder only', () => {
    expect(() => checkFence(held('x', 'agent-1', 4), { now: new Date(0), actor: 'agent-1', agentId: 'agent-1', fenceTaskId: 'x' })).not.toThrow();
    expect(() => checkFence(held('x', 'agent-2', 4), { now: new Date(0), actor: 'agent-1', agentId: 'agent-1', fenceTaskId: 'x' })).toThrow(/agent-2/);
  });
  it('a task with no epoch reads as epoch 0', () => {
    const t = task('x', { status: 'in-progress', assigned: 'agent-2' });
    expect(() => checkFence(t, agent('agent-1', 'x', 0))).toThrow("claim lost: task 'x' is now held by agent-2 (epoch 0)");
  });
  it('the error carries a hint', () => {
    const err = wgError(() => checkFence(held('x', 'agent-2', 1), agent('agent-1', 'x', 1)), 'claim_lost', 3);
    expect(err.hint).toBeTruthy();
  });
});

describe('checkOwnFence (a heartbeat, a message: writes that touch no task of the agent\'s own)', () => {
  it("passes while the agent's own claim holds; claim lost (exit 3) once it is gone or moved on", () => {
    expect(() => checkOwnFence(graph(held('x', 'agent-1', 2)), agent('agent-1', 'x', 2))).not.toThrow();
    expect(wgError(() => checkOwnFence(graph(held('x', 'agent-2', 3)), agent('agent-1', 'x', 2)), 'claim_lost', 3).message).toBe("claim lost: task 'x' is now held by agent-2 (epoch 3)");
    expect(wgError(() => checkOwnFence(graph(held('x', 'agent-1', 3)), agent('agent-1', 'x', 2)), 'claim_lost', 3).message).toBe("claim lost: task 'x' is now held by agent-1 (epoch 3)");
  });
  it('checks nothing for a human, an agent with no task, or a task that is gone', () => {
    const g = graph(held('x', 'agent-2', 3));
    expect(() => checkOwnFence(g, who())).not.toThrow();
    expect(() => checkOwnFence(g, { now: new Date(0), actor: 'agent-1', agentId: 'agent-1' })).not.toThrow();
    expect(() => checkOwnFence(g, agent('agent-1', 'archived-away', 2))).not.toThrow();
  });
});

describe('fencing scenario: a reclaimed zombie cannot complete', () => {
  it('agent-1 claims, is unclaimed, agent-2 claims; agent-1 done/fail/log all refused; agent-2 done ok', () => {
    let g = graph(task('x'));
    g = apply(g, planClaim(g, 'x', who({ actor: 'agent-1' })).writes);
    const zombie = agent('agent-1', 'x', g.get('x')!.claim_epoch!);
    g = apply(g, planUnclaim(g, 'x', who()).writes);
    g = apply(g, planClaim(g, 'x', who({ actor: 'agent-2' })).writes);
    expect(g.get('x')).toMatchObject({ assigned: 'agent-2', claim_epoch: 3 });
    for (const [, write] of FENCED) {
      const err = wgError(() => write(g, 'x', zombie), 'claim_lost', 3);
      expect(err.message).toBe("claim lost: task 'x' is now held by agent-2 (epoch 3)");
    }
    const fresh = agent('agent-2', 'x', 3);
    expect(planDone(g, 'x', fresh).result.task.status).toBe('done');
  });

  it('done-on-done by a zombie is still refused (it no longer owns it)', () => {
    const g = graph(task('x', { status: 'done', assigned: 'agent-2', claim_epoch: 3 }));
    wgError(() => planDone(g, 'x', agent('agent-1', 'x', 1)), 'claim_lost', 3);
    expect(planDone(g, 'x', agent('agent-2', 'x', 3)).writes).toEqual([]);
  });
});
