/**
 * `wg service tick` — one tick in the foreground, with the built `wg` against a real project:
 * it spawns a real shell agent (which outlives the command) and reports what it did; a stale
 * claim is reclaimed and re-dispatched in the same tick; it refuses to race a running service.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readIf } from '../helpers/files.js';
import { waitFor } from '../helpers/proc.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';

interface TickJson {
  spawned: number;
  reclaimed: number;
  exits: number;
  alive: number;
  ready: number;
  agents: Array<{ agent: string; task: string; pid: number }>;
}

describe('wg service tick', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('spawns a real shell agent, reports it, and returns while the agent finishes the task', async () => {
    p = serviceProject();
    p.ok(['add', 'Hello', '--id', 'hello', '--exec', `echo "$WG_AGENT_ID" > ${p.w('ran')}; wg done hello`]);
    const r = p.run(['service', 'tick', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<TickJson>();
    expect(j).toMatchObject({ spawned: 1, reclaimed: 0, exits: 0, alive: 1, ready: 1 });
    expect(j.agents).toEqual([{ agent: 'agent-1', task: 'hello', pid: expect.any(Number) }]);
    await waitFor('the agent to finish the task', () => p!.tasks().find((t) => t.id === 'hello' && t.status === 'done'));
    expect(readIf(p.w('ran'))?.trim()).toBe('agent-1');
    expect(p.task('hello')).toMatchObject({ assigned: 'agent-1', claim_epoch: 1 });
    expect(p.events('agent:spawned')).toMatchObject([{ agent: 'agent-1', task: 'hello' }]);
    expect(p.events('tick:done')).toHaveLength(1);

    // The agent finished after the first tick's process exited: the next tick takes its exit
    // from the wrapper's record (agents/<id>/exit), not as a death; nothing else to do.
    const again = p.ok(['service', 'tick']);
    expect(again.stdout).toMatch(/Tick: 0 spawned, 0 reclaimed, 1 exits, 0 alive, 0 ready/);
    expect(p.agents()['agent-1']).toMatchObject({ status: 'done', exit_code: 0 });
    const third = p.ok(['service', 'tick']);
    expect(third.stdout).toMatch(/Tick: 0 spawned, 0 reclaimed, 0 exits, 0 alive, 0 ready/);
  });

  it('reclaims a stale claim (an unknown agent) and dispatches it again in the same tick', async () => {
    p = serviceProject();
    p.ok(['add', 'Stale', '--id', 'stale', '--exec', 'wg done stale']);
    p.ok(['claim', 'stale', '--actor', 'agent-7']);
    const r = p.ok(['service', 'tick']);
    expect(r.stdout).toMatch(/reclaimed stale from agent-7 \(is unknown to the agent registry\)/);
    expect(r.stdout).toMatch(/spawned agent-1 on stale \(PID \d+, shell\)/);
    expect(r.stdout).toMatch(/Tick: 1 spawned, 1 reclaimed/);
    await waitFor('the new agent to finish', () => p!.tasks().find((t) => t.id === 'stale' && t.status === 'done'));
    expect(p.task('stale').retry_count).toBe(1);
  });

  it('refuses while a service runs (it would race it), naming the fix', () => {
    p = serviceProject();
    p.start();
    const r = p.run(['service', 'tick']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: the service is running; a foreground tick would race it/);
    expect(r.stderr).toMatch(/hint: wg service stop first/);
  });
});
