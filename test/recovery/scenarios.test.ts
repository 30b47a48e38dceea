/**
 * Recovery smoke scenarios (SPEC §3, §5) with a REAL service and REAL agent processes (shell
 * executor): retry of a hung agent, retry of a failed task next to its agency companions,
 * eager downstream cleanup, the reconciler on an open task with a dead agent, reset, agents
 * kill of a whole process group, retry idempotence, and a reclaimed zombie that cannot finish.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { recoveryProject, type RecoveryProject } from '../helpers/project.js';
import { operations } from '../helpers/files.js';
import { deadPid, groupMembers, processRunning, waitFor } from '../helpers/proc.js';

interface RetryJson {
  task: { id: string; status: string; retry_count?: number };
  noop: string | null;
  killed: string[];
  cleared: string[];
}

const messages = (t: { log?: Array<{ message: string }> }): string[] => (t.log ?? []).map((e) => e.message);

describe('recovery scenarios (real service, real agents)', () => {
  let p: RecoveryProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('retry_kills_hung_agent_and_respawns', async () => {
    p = recoveryProject();
    p.add('x', ['--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('x');
    expect(groupMembers(a1.pgid).length).toBeGreaterThan(0);

    const r = p.run(['retry', 'x', '--reason', 'hung', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<RetryJson>();
    expect(out.noop).toBeNull();
    expect(out.killed).toEqual([a1.id]);
    expect(out.task).toMatchObject({ status: 'open', retry_count: 1 });

    // The old agent's whole process group is gone, and the registry says why.
    await waitFor('the old process group to be gone', () => groupMembers(a1.pgid).length === 0, 3_000);
    expect(processRunning(a1.pid)).toBe(false);
    expect(p.agents()[a1.id]).toMatchObject({ status: 'dead' });

    // The service respawns the task at once as a new agent.
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const t = p.task('x');
    expect(t).toMatchObject({ status: 'in-progress', assigned: a2.id, retry_count: 1 });
    expect(t.claim_epoch).toBe(a2.claim_epoch);
    expect(t.claim_epoch).toBe(3); // spawn (1), retry (2), respawn (3)
    expect(messages(t)).toContain(`Retry requested from in-progress (attempt 2); killing ${a1.id} — reason: hung`);
  });

  it('retry_failed_requeues_without_touching_companions', async () => {
    p = recoveryProject();
    const ok = p.w('ok');
    p.add('x', ['--exec', `test -f ${ok}`]);
    p.add('.evaluate-x', ['--after', 'x']);
    p.add('.flip-x', ['--after', 'x']);
    p.add('.assign-x');
    p.ok(['fail', '.flip-x', '--reason', 'flip died']);
    p.ok(['done', '.assign-x']);
    p.start();
    const failed = await p.waitTask('x', (t) => t.status === 'failed', 'failed by its agent');
    expect(failed).toMatchObject({ failure_class: 'agent-exit-nonzero' });
    const companions = ['.evaluate-x', '.flip-x', '.assign-x'];
    const before = companions.map((id) => p!.line(id));

    writeFileSync(ok, '');
    const r = p.run(['retry', 'x', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RetryJson>()).toMatchObject({ noop: null, killed: [], cleared: [] });
    const requeued = p.task('x');
    expect(requeued.retry_count).toBe(1);
    expect(requeued.failure_reason).toBeUndefined();
    expect(requeued.failure_class).toBeUndefined();

    // Re-run by the service: exit 0 → pending-eval (its .evaluate-x is still open).
    await p.waitTask('x', (t) => t.status === 'pending-eval' || t.status === 'done', 'finished by the second agent');
    expect(p.agentsOf('x')).toHaveLength(2);
    expect(companions.map((id) => p!.line(id))).toEqual(before);
  });

  it('retry_clears_downstream_stale_claims', async () => {
    p = recoveryProject();
    const gone = deadPid();
    const live = p.liveProcess();
    p.seed([
      { id: 'up', status: 'failed', failure_reason: 'boom', failure_class: 'agent-exit-nonzero', assigned: 'agent-1', claim_epoch: 1 },
      { id: 'down', after: ['up'], status: 'open', assigned: 'agent-2', claim_epoch: 1 },
      { id: 'deeper', after: ['down'], status: 'open', assigned: 'agent-9', claim_epoch: 4 }, // unknown to the registry
      { id: 'by-human', after: ['up'], status: 'in-progress', assigned: 'bob', claim_epoch: 1 },
      { id: 'by-live', after: ['up'], status: 'in-progress', assigned: 'agent-3', claim_epoch: 1 },
      { id: 'unrelated', status: 'open', assigned: 'agent-2', claim_epoch: 1 },
    ]);
    p.writeRegistry([
      { id: 'agent-1', task_id: 'up', pid: gone, status: 'failed', exit_code: 1 },
      { id: 'agent-2', task_id: 'down', pid: gone, pgid: gone },
      { id: 'agent-3', task_id: 'by-live', pid: live.pid, pgid: live.pgid, proc_start: live.procStart },
    ]);
    const untouched = ['by-human', 'by-live', 'unrelated'].map((id) => p!.line(id));

    const r = p.run(['retry', 'up', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<RetryJson>();
    expect(out.killed).toEqual([]);
    expect(out.cleared.sort()).toEqual(['deeper', 'down']);

    const up = p.task('up');
    expect(up).toMatchObject({ status: 'open', retry_count: 1, claim_epoch: 2 });
    expect(up.assigned).toBeUndefined();
    const down = p.task('down');
    expect(down).toMatchObject({ status: 'open', claim_epoch: 2 });
    expect(down.assigned).toBeUndefined();
    expect(messages(down).at(-1)).toMatch(/^stale claim cleared via retry of up \(was agent-2, process \d+ is gone\)$/);
    expect(messages(p.task('deeper')).at(-1)).toBe('stale claim cleared via retry of up (was agent-9, unknown to the registry)');
    expect(['by-human', 'by-live', 'unrelated'].map((id) => p!.line(id))).toEqual(untouched);
    expect(processRunning(live.pid)).toBe(true);
  });

  it('reconciler_clears_open_with_dead_agent', async () => {
    p = recoveryProject();
    const gone = deadPid();
    p.seed([{ id: 'x', status: 'open', assigned: 'agent-1', claim_epoch: 1, exec: 'sleep 300' }]);
    p.writeRegistry([{ id: 'agent-1', task_id: 'x', pid: gone, pgid: gone }]);
    p.start();
    const a2 = await p.runningAgent('x', { not: ['agent-1'] });
    expect(a2.id).toBe('agent-2');
    const t = p.task('x');
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'agent-2', retry_count: 1, claim_epoch: 3 });
    expect(messages(t).some((m) => m.startsWith(`stale claim cleared: agent agent-1 process ${gone} is gone`))).toBe(true);
    expect(p.agents()['agent-1']!.status).toBe('dead');
    expect(p.events('claim:reclaimed').some((e) => e.task === 'x' && e.agent === 'agent-1')).toBe(true);
  });

  it('reset_clears_downstream_claims_too', async () => {
    p = recoveryProject();
    const gone = deadPid();
    const mid = p.liveProcess();
    const evaluator = p.liveProcess();
    p.seed([
      { id: 'root', status: 'failed', failure_reason: 'bad input', failure_class: 'manual', retry_count: 2, started_at: '2026-01-01T00:00:00Z', completed_at: '2026-01-01T00:01:00Z', claim_epoch: 3 },
      { id: 'mid', after: ['root'], status: 'in-progress', assigned: 'agent-2', claim_epoch: 1, started_at: '2026-01-01T00:02:00Z' },
      { id: 'leaf', after: ['mid'], status: 'open', assigned: 'agent-3', claim_epoch: 5 },
      { id: '.evaluate-root', after: ['root'], status: 'in-progress', assigned: 'agent-4', claim_epoch: 1 },
      { id: 'other', status: 'open', assigned: 'agent-3', claim_epoch: 1 },
    ]);
    p.writeRegistry([
      { id: 'agent-2', task_id: 'mid', pid: mid.pid, pgid: mid.pgid, proc_start: mid.procStart },
      { id: 'agent-3', task_id: 'leaf', pid: gone, pgid: gone },
      { id: 'agent-4', task_id: '.evaluate-root', pid: evaluator.pid, pgid: evaluator.pgid, proc_start: evaluator.procStart },
    ]);
    const graphBefore = p.readGraph();
    const keep = ['.evaluate-root', 'other'].map((id) => p!.line(id));

    // More than one task: refused without --yes; --dry-run shows the plan; neither writes.
    const refused = p.run(['reset', 'root']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/would reopen 3 tasks — pass --yes/);
    const dry = p.run(['reset', 'root', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.json<{ tasks: Array<{ id: string }>; kill: string[] }>()).toMatchObject({ kill: ['agent-2'] });
    expect(p.readGraph()).toBe(graphBefore);
    expect(processRunning(mid.pid)).toBe(true);

    const r = p.run(['reset', 'root', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ tasks: Array<{ id: string }>; killed: string[] }>();
    expect(out.tasks.map((t) => t.id)).toEqual(['root', 'mid', 'leaf']);
    expect(out.killed).toEqual(['agent-2']);
    await waitFor('agent-2 to be gone', () => groupMembers(mid.pgid).length === 0, 3_000);
    expect(p.agents()['agent-2']!.status).toBe('dead');

    for (const id of ['root', 'mid', 'leaf']) {
      const t = p.task(id);
      expect(t.status, id).toBe('open');
      for (const f of ['assigned', 'retry_count', 'started_at', 'completed_at', 'failure_reason', 'failure_class']) expect(t[f], `${id}.${f}`).toBeUndefined();
      expect(messages(t).at(-1)).toMatch(/^Reset via 'wg reset root'/);
    }
    expect(p.task('leaf').claim_epoch).toBe(6);
    // System companions and unrelated tasks are not in the closure: untouched, their agent alive.
    expect(['.evaluate-root', 'other'].map((id) => p!.line(id))).toEqual(keep);
    expect(processRunning(evaluator.pid)).toBe(true);
  });

  it('agents_kill_kills_process_group', async () => {
    p = recoveryProject();
    p.add('x', ['--exec', 'sleep 300 & sleep 300 & wait']);
    p.start();
    const a1 = await p.runningAgent('x');
    const members = await waitFor('the agent and its two grandchildren', () => {
      const m = groupMembers(a1.pgid);
      return m.length >= 3 ? m : undefined;
    });
    for (const pid of members) p.track(pid);

    const r = p.run(['agents', 'kill', a1.id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ agent: a1.id, killed: true, task: 'x' });
    await waitFor('no process of the group to remain', () => groupMembers(a1.pgid).length === 0, 3_000);
    for (const pid of members) expect(processRunning(pid), `PID ${pid}`).toBe(false);
    expect(p.agents()[a1.id]!.status).toBe('dead');

    // The reconciler releases the task and the service respawns it.
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const t = p.task('x');
    expect(t).toMatchObject({ status: 'in-progress', assigned: a2.id, retry_count: 1 });
    expect(messages(t).some((m) => m.startsWith(`stale claim cleared: agent ${a1.id} is dead`))).toBe(true);

    // Killing an agent that is already dead is a no-op success.
    const again = p.run(['agents', 'kill', a1.id, '--json']);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ killed: false });
    expect(processRunning(a2.pid)).toBe(true);
  });

  it('retry_twice_is_safe', async () => {
    p = recoveryProject();
    p.add('x', ['--exec', 'sleep 300']);
    p.add('y', ['--exec', 'sleep 300']);
    p.start();

    // Sequential: the second retry is a no-op and never kills the agent spawned after the first.
    const a1 = await p.runningAgent('x');
    const first = p.run(['retry', 'x', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<RetryJson>().killed).toEqual([a1.id]);
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const second = p.run(['retry', 'x', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const s = second.json<RetryJson>();
    expect(s.killed).toEqual([]);
    expect(s.noop).toMatch(/within retry_debounce/);
    const human = p.run(['retry', 'x']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/retried .*s ago \(within retry_debounce\); nothing done/);
    await p.ticks(2);
    expect(processRunning(a2.pid)).toBe(true);
    expect(p.task('x')).toMatchObject({ status: 'in-progress', assigned: a2.id, retry_count: 1 });
    expect(p.agentsOf('x').map((a) => a.id)).toEqual([a1.id, a2.id]);

    // Concurrent: exactly one of two simultaneous retries acts.
    const b1 = await p.runningAgent('y');
    const both = await Promise.all([p.wg(['retry', 'y', '--json']), p.wg(['retry', 'y', '--json'])]);
    for (const b of both) expect(b.code, b.stderr).toBe(0);
    const outs = both.map((b) => b.json<RetryJson>());
    expect(outs.filter((o) => o.noop === null)).toHaveLength(1);
    expect(outs.flatMap((o) => o.killed)).toEqual([b1.id]);
    const b2 = await p.runningAgent('y', { not: [b1.id] });
    await p.ticks(2);
    expect(processRunning(b2.pid)).toBe(true);
    expect(p.task('y')).toMatchObject({ status: 'in-progress', assigned: b2.id, retry_count: 1 });
    expect(p.agentsOf('y')).toHaveLength(2);
  });

  it('zombie_cannot_complete', async () => {
    // kill_grace 3s: the agent traps SIGTERM and uses the grace period to try to finish.
    p = recoveryProject({ dispatcher: { kill_grace: '3s' } });
    const w = p.work;
    const script = p.w('agent.sh');
    writeFileSync(
      script,
      [
        `trap 'echo TERM >> ${w}/term-$WG_AGENT_ID' TERM`,
        `while [ ! -f ${w}/go-$WG_AGENT_ID ]; do sleep 0.05; done`,
        `wg done "$WG_TASK_ID" > ${w}/out-$WG_AGENT_ID 2>&1`,
        `echo $? > ${w}/rc-$WG_AGENT_ID`,
      ].join('\n') + '\n',
    );
    p.add('x', ['--exec', `bash ${script}`]);
    p.start();
    const readIf = (name: string): string | undefined => {
      try {
        return readFileSync(p!.w(name), 'utf8');
      } catch {
        return undefined;
      }
    };
    // `terms`: how many SIGTERMs the agent gets — one per killer (the service; plus the CLI for
    // retry), never one per tick, or its `wg done` would die of the next one (exit 143).
    const zombie = async (agent: string, terms: number): Promise<void> => {
      await waitFor(`${agent} to receive ${terms} SIGTERM(s)`, () => (readIf(`term-${agent}`) ?? '').split('\n').filter(Boolean).length >= terms, 5_000);
      writeFileSync(p!.w(`go-${agent}`), '');
      const rc = await waitFor(`${agent} to report the exit code of wg done`, () => readIf(`rc-${agent}`), 5_000);
      expect(rc.trim(), readIf(`out-${agent}`)).toBe('3');
      expect(readIf(`out-${agent}`)).toMatch(/claim lost: task 'x' is now held by /);
      const t = p!.task('x');
      expect(t.status).not.toBe('done');
      expect((t.log ?? []).filter((e) => e.actor === agent)).toEqual([]);
      expect(operations(p!.wgDir).filter((o) => o.actor === agent)).toEqual([]);
    };

    // 1) A human unclaims: unclaim kills agent-1 (and the service stops it too: two SIGTERMs);
    //    during its grace it tries `wg done`.
    const a1 = await p.runningAgent('x');
    const un = p.wg(['unclaim', 'x', '--json']);
    await zombie(a1.id, 2);
    const u = await un;
    expect(u.code, u.stderr).toBe(0);
    expect(u.json<{ killed: string[] }>().killed).toEqual([a1.id]);

    // 2) The service respawned the task; `wg retry` reclaims it from agent-2 the same way.
    const a2 = await p.runningAgent('x', { not: [a1.id] });
    const retry = p.wg(['retry', 'x', '--json']);
    await zombie(a2.id, 2);
    const r = await retry;
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RetryJson>().killed).toEqual([a2.id]);
    const a3 = await p.runningAgent('x', { not: [a1.id, a2.id] });
    expect(p.task('x')).toMatchObject({ status: 'in-progress', assigned: a3.id, retry_count: 1 });
  });
});
