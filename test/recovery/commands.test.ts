/**
 * The other recovery commands end to end (SPEC §5): `wg kill` (pause vs --redispatch),
 * `wg recover`, `wg sweep`, `wg reap`, `wg requeue`, `wg service status` naming stale claims
 * while the service is stopped, retry refusals, and the quick start's Recovery section.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { recoveryProject, type RecoveryProject } from '../helpers/project.js';
import { deadPid, groupMembers, processRunning, waitFor } from '../helpers/proc.js';

const messages = (t: { log?: Array<{ message: string }> }): string[] => (t.log ?? []).map((e) => e.message);

describe('recovery commands (real processes)', () => {
  let p: RecoveryProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('wg kill AGENT releases and pauses the task; --redispatch lets the service respawn it', async () => {
    p = recoveryProject();
    p.add('x', ['--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('x');

    const r = p.run(['kill', a1.id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ agent: a1.id, was_alive: true, task: { id: 'x', status: 'open', paused: true } });
    await waitFor('the killed agent group to be gone', () => groupMembers(a1.pgid).length === 0, 3_000);
    const paused = p.task('x');
    expect(paused).toMatchObject({ status: 'open', paused: true });
    expect(paused.assigned).toBeUndefined();
    expect(messages(paused).at(-1)).toMatch(/released and paused \(wg resume x\)/);
    // Parked: the service does not pick it up.
    await p.ticks(2);
    expect(p.agentsOf('x')).toHaveLength(1);

    p.ok(['resume', 'x']);
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const human = p.run(['kill', a2.id, '--redispatch']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`Killed ${a2.id}; 'x' released`));
    const a3 = await p.runningAgent('x', { not: [a1.id, a2.id] });
    expect(p.task('x').paused).toBeUndefined();
    expect(p.task('x').assigned).toBe(a3.id);
    expect(groupMembers(a2.pgid)).toEqual([]);
  });

  it('wg recover: a dry run by default, then --yes re-queues every matching failed task', async () => {
    p = recoveryProject();
    const ok = p.w('ok');
    for (const id of ['f1', 'f2', 'f3']) p.add(id, ['--exec', `test -f ${ok}`, '--tag', 'batch']);
    p.add('other', ['--exec', 'exit 2']);
    p.add('.flip-f1');
    p.ok(['fail', '.flip-f1', '--reason', 'flip died']);
    p.start();
    for (const id of ['f1', 'f2', 'f3', 'other']) await p.waitTask(id, (t) => t.status === 'failed', 'failed');

    const before = p.readGraph();
    const dry = p.run(['recover', '--filter', 'tag=batch']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Would re-queue 3 task(s): f1, f2, f3');
    expect(dry.stdout).toContain('Would abandon companions: .flip-f1');
    expect(dry.stdout).toContain('--yes');
    expect(p.readGraph()).toBe(before);

    writeFileSync(ok, '');
    const yes = p.run(['recover', '--filter', 'tag=batch', '--reason', 'fixed the input', '--yes', '--json']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.json()).toMatchObject({ dry_run: false, recovered: ['f1', 'f2', 'f3'], abandoned: ['.flip-f1'] });
    for (const id of ['f1', 'f2', 'f3']) {
      const t = await p.waitTask(id, (x) => x.status === 'done', 'done after recover');
      expect(t.retry_count).toBe(1);
      expect(messages(t)).toContain("Re-queued by 'wg recover' (was failed: agent " + p.agentsOf(id)[0]!.id + " exited with code 1) — reason: fixed the input");
    }
    expect(p.task('other').status).toBe('failed');
    expect(p.task('.flip-f1').status).toBe('abandoned');

    const bad = p.run(['recover', '--filter', 'attempts~1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: invalid filter 'attempts~1'/);
  });

  it('wg sweep --dry-run reports and changes nothing; wg sweep clears dead/unknown agent claims only', async () => {
    p = recoveryProject();
    const gone = deadPid();
    const live = p.liveProcess();
    p.seed([
      { id: 'a', status: 'open', assigned: 'agent-1', claim_epoch: 1 },
      { id: 'b', status: 'in-progress', assigned: 'agent-2', claim_epoch: 3 },
      { id: 'c', status: 'in-progress', assigned: 'bob', claim_epoch: 1 },
      { id: 'd', status: 'in-progress', assigned: 'agent-3', claim_epoch: 1 },
      // Any agent-… claimant absent from the registry is unknown, not only agent-<number>.
      { id: 'e', status: 'in-progress', assigned: 'agent-zombie-1', claim_epoch: 2 },
    ]);
    p.writeRegistry([
      { id: 'agent-1', task_id: 'a', pid: gone, pgid: gone },
      { id: 'agent-3', task_id: 'd', pid: live.pid, pgid: live.pgid, proc_start: live.procStart },
    ]);
    const before = p.readGraph();
    const keep = ['c', 'd'].map((id) => p!.line(id));

    const dry = p.run(['sweep', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Would clear 3 stale claim(s):');
    expect(dry.stdout).toMatch(/a: agent-1 process \d+ is gone/);
    expect(dry.stdout).toContain('b: agent-2 is unknown to the agent registry');
    expect(dry.stdout).toContain('e: agent-zombie-1 is unknown to the agent registry');
    expect(p.readGraph()).toBe(before);

    const sweep = p.run(['sweep', '--json']);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.json<{ reclaimed: Array<{ task_id: string }> }>().reclaimed.map((c) => c.task_id)).toEqual(['a', 'b', 'e']);
    for (const id of ['a', 'b', 'e']) {
      const t = p.task(id);
      expect(t.status).toBe('open');
      expect(t.assigned).toBeUndefined();
      expect(t.retry_count).toBe(1);
      expect(messages(t).at(-1)).toMatch(/^stale claim cleared: agent agent-(\d|zombie-1) /);
    }
    expect(['c', 'd'].map((id) => p!.line(id))).toEqual(keep);
    expect(processRunning(live.pid)).toBe(true);
    expect(p.run(['sweep']).stdout).toContain('No stale claims');
  });

  it('wg reap --older-than 0s drops finished agents and keeps live ones', async () => {
    p = recoveryProject();
    p.add('quick', ['--exec', 'true']);
    p.add('hung', ['--exec', 'sleep 300']);
    p.start();
    await p.waitTask('quick', (t) => t.status === 'done', 'done');
    const live = await p.runningAgent('hung');
    const finished = await waitFor('the quick agent to be recorded as finished', () => p!.agentsOf('quick').find((a) => a.status === 'done'));

    expect(p.run(['reap']).stdout).toContain('Nothing to reap'); // default: older than 1h
    const dry = p.run(['reap', '--older-than', '0s', '--dry-run', '--json']);
    expect(dry.json()).toEqual({ dry_run: true, removed: [finished.id] });
    expect(p.agents()[finished.id]).toBeDefined();

    const r = p.run(['reap', '--older-than', '0s', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ dry_run: false, removed: [finished.id] });
    expect(p.agents()[finished.id]).toBeUndefined();
    expect(p.agents()[live.id]).toMatchObject({ status: 'working' });
    expect(processRunning(live.pid)).toBe(true);
    expect(p.run(['reap', '--older-than', 'soon']).code).toBe(2);
  });

  it('wg requeue: an in-progress task goes back to the queue; the old agent is killed and the service respawns', async () => {
    p = recoveryProject();
    p.add('x', ['--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('x');
    expect(p.run(['requeue', 'x']).code).toBe(2); // --reason is required

    const r = p.run(['requeue', 'x', '--reason', 'provider outage']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Requeued 'x' (was ${a1.id}); killed ${a1.id} (PID ${a1.pid})`);
    await waitFor('the old agent group to be gone', () => groupMembers(a1.pgid).length === 0, 5_000);
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const t = p.task('x');
    expect(t).toMatchObject({ status: 'in-progress', assigned: a2.id, retry_count: 1 });
    expect(messages(t)).toContain(`Requeued: provider outage (was ${a1.id}); killing ${a1.id}`);

    p.ok(['service', 'stop', '--kill-agents']);
    const open = p.run(['requeue', 'x', '--reason', 'again']);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/is open/);
  });

  it('wg service status (stopped) names a stale claim with wg unclaim / wg sweep as the fix', async () => {
    p = recoveryProject();
    const gone = deadPid();
    p.seed([{ id: 'x', status: 'open', assigned: 'agent-1', claim_epoch: 1, exec: 'true' }]);
    p.writeRegistry([{ id: 'agent-1', task_id: 'x', pid: gone, pgid: gone }]);

    const human = p.run(['service', 'status']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Service: stopped');
    expect(human.stdout).toMatch(/x is claimed by agent-1, which is .*\(stale claim\)/);
    expect(human.stdout).toContain('wg unclaim x');
    expect(human.stdout).toContain('wg sweep');
    const json = p.run(['service', 'status', '--json']).json<{ running: boolean; waiting: Array<{ kind: string; tasks: string[]; fix: string }> }>();
    expect(json.running).toBe(false);
    const stale = json.waiting.find((w) => w.kind === 'stale-claim');
    expect(stale).toMatchObject({ tasks: ['x'] });
    expect(stale!.fix).toMatch(/wg unclaim x.*wg sweep/);

    p.ok(['sweep']);
    const after = p.run(['service', 'status', '--json']).json<{ waiting: Array<{ kind: string }> }>();
    expect(after.waiting.map((w) => w.kind)).toEqual(['service-stopped']);
  });

  it('wg retry refuses done/abandoned tasks and exhausted retries, naming the limit (exit 1)', async () => {
    p = recoveryProject();
    p.seed([
      { id: 'spent', status: 'failed', retry_count: 2, max_retries: 2 },
      { id: 'fin', status: 'done' },
      { id: 'idle', status: 'open' },
    ]);
    const before = p.readGraph();
    const spent = p.run(['retry', 'spent']);
    expect(spent.code).toBe(1);
    expect(spent.stderr).toMatch(/^error: task 'spent' has been re-queued 2 times \(max_retries 2\)/);
    expect(spent.stderr).toMatch(/hint: .*--max-retries 3/);
    const fin = p.run(['retry', 'fin']);
    expect(fin.code).toBe(1);
    expect(fin.stderr).toContain("task 'fin' is done — cannot retry it; use 'wg reset fin' to reopen it");
    const idle = p.run(['retry', 'idle']);
    expect(idle.code).toBe(0);
    expect(idle.stdout).toMatch(/already open and unclaimed/);
    expect(p.readGraph()).toBe(before);
  });

  it('wg quickstart has a Recovery section naming every recovery command', () => {
    p = recoveryProject();
    const r = p.run(['quickstart']);
    expect(r.code).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('## Recovery'));
    expect(r.stdout).toContain('## Recovery');
    for (const cmd of ['wg retry', 'wg agents kill', 'wg kill', 'wg reset', 'wg recover', 'wg unclaim', 'wg sweep', 'wg requeue']) expect(section).toContain(cmd);
    expect(p.run(['agent-guide']).stdout).toMatch(/wg done/);
  });
});
