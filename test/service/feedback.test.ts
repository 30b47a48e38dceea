/**
 * What a human sees (issue 9 point 8), through the built `wg`: `service start --foreground`
 * prints a line per spawn, exit, reclaim and kill; `service stop` names the agents left
 * running; `unclaim` / `requeue` kill the old agent when it still runs (service stopped);
 * `wg status` names failed tasks with `wg retry ID`; `wg service status` explains tasks blocked
 * behind a failed one; `service start` refuses an unknown executor, listing the known ones.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { groupMembers, processRunning, safeKill, waitFor } from '../helpers/proc.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { wgSpawn, type WgSpawned } from '../helpers/wg.js';

describe('feedback for humans', () => {
  let p: ServiceProject | undefined;
  let fg: WgSpawned | undefined;
  afterEach(async () => {
    if (fg && processRunning(fg.pid)) {
      safeKill(fg.pid, 'SIGTERM');
      await fg.result;
    }
    fg = undefined;
    p?.cleanup();
    p = undefined;
  });

  it('service start --foreground prints a line per spawn, exit, kill and reclaim, then stops on SIGTERM', async () => {
    p = serviceProject();
    p.add('quick', ['--exec', 'echo hi']);
    fg = wgSpawn(p.dir, ['service', 'start', '--foreground'], { PATH: `${p.binDir}:${process.env.PATH}` });
    p.daemonPids.add(fg.pid);
    let out = '';
    fg.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const line = (re: RegExp): Promise<string> => waitFor(`a line like ${re}`, () => out.split('\n').find((l) => re.test(l)), 15_000, 25, () => out);
    await line(/^\d\d:\d\d:\d\d service started on .*\.wg \(PID \d+, max_agents 4, executor shell\)$/);
    await line(/^\d\d:\d\d:\d\d spawn {3}agent-1 on quick \(PID \d+, shell\)$/);
    await line(/^\d\d:\d\d:\d\d exit {4}agent-1 on quick: exited 0 → task done$/);

    // A hard timeout: the service kills, the exit fails the task.
    p.add('slow', ['--exec', 'sleep 300', '--timeout', '1s']);
    await line(/kill {4}agent-2 on slow: timeout$/);
    await line(/exit {4}agent-2 on slow: killed by SIGTERM \(killed: timeout\) → task failed$/);

    // A crash nobody ordered: reclaimed and re-queued.
    p.add('crashy', ['--exec', 'sleep 300']);
    const a = await p.runningAgent('crashy');
    process.kill(a.pid, 'SIGKILL');
    await line(new RegExp(`reclaim crashy from ${a.id} \\(was killed by SIGKILL\\) → re-queued$`));
    await line(new RegExp(`spawn {3}agent-\\d+ on crashy`));

    safeKill(fg.pid, 'SIGTERM');
    const r = await fg.result;
    expect(r.code).toBe(0);
    expect(out).toMatch(/service stopped\n$/);
    // No JSON, no tick summaries on the terminal.
    expect(out).not.toMatch(/tick|\{/);
  });

  it('service stop names the agents left running; unclaim and requeue then kill the old agent', async () => {
    p = serviceProject();
    p.add('a', ['--exec', 'sleep 300']);
    p.add('b', ['--exec', 'sleep 300']);
    p.start();
    const aa = await p.runningAgent('a');
    const ab = await p.runningAgent('b');
    const stop = p.ok(['service', 'stop']);
    expect(stop.stdout).toMatch(/^Service stopped \(PID \d+\); 2 agent\(s\) keep running:$/m);
    expect(stop.stdout).toContain(`  ${aa.id}  a  pid ${aa.pid}`);
    expect(stop.stdout).toContain(`  ${ab.id}  b  pid ${ab.pid}`);
    expect(stop.stdout).toContain(`To stop one now: wg agents kill ${aa.id}`);
    expect(processRunning(aa.pid) && processRunning(ab.pid)).toBe(true);
    const again = p.ok(['service', 'stop', '--json']).json<{ stopped: boolean; agents_running: Array<{ id: string; task: string; pid: number }> }>();
    expect(again.stopped).toBe(false);
    expect(again.agents_running.map((x) => x.id).sort()).toEqual([aa.id, ab.id].sort());

    // With no service to stop it, unclaim kills the old agent itself (the dry run says so first).
    const dry = p.ok(['unclaim', 'a', '--dry-run']);
    expect(dry.stdout).toMatch(new RegExp(`kill ${aa.id}: SIGTERM its process group.*killed by wg unclaim a`));
    expect(processRunning(aa.pid)).toBe(true);
    const un = p.ok(['unclaim', 'a']);
    expect(un.stdout).toBe(`Unclaimed 'a' (was ${aa.id}); killed ${aa.id} (PID ${aa.pid})\n`);
    await waitFor('agent a gone', () => groupMembers(aa.pgid).length === 0);
    expect(p.task('a')).toMatchObject({ status: 'open' });
    expect(p.task('a').log?.at(-1)?.message).toBe(`Task unclaimed (was ${aa.id}); killing ${aa.id}`);

    const rq = p.ok(['requeue', 'b', '--reason', 'wrong approach']);
    expect(rq.stdout).toBe(`Requeued 'b' (was ${ab.id}); killed ${ab.id} (PID ${ab.pid})\n`);
    await waitFor('agent b gone', () => groupMembers(ab.pgid).length === 0);
    expect(p.agents()[ab.id]!.status).toBe('dead');

    // Nothing to kill: an unclaim of a task whose agent is gone says nothing about killing.
    p.ok(['claim', 'a', '--actor', 'agent-77']);
    expect(p.ok(['unclaim', 'a']).stdout).toBe(`Unclaimed 'a' (was agent-77)\n`);
  });

  it('wg status names failed tasks with wg retry; wg service status explains tasks blocked behind them', () => {
    p = serviceProject();
    p.seed([
      { id: 'build', status: 'failed', failure_reason: 'agent agent-3 exited with code 2', completed_at: '2026-11-30T08:00:00Z' },
      { id: 'test', after: ['build'] },
      { id: 'ship', after: ['test'] },
      { id: 'lint', status: 'failed', failure_reason: 'eslint: 3 errors' },
      { id: 'done-one', status: 'done' },
    ]);
    const st = p.ok(['status']).stdout;
    expect(st).toMatch(/0 ready, 2 blocked, 1 done, 2 failed/);
    expect(st).toMatch(/^Failed \(wg retry ID re-queues; wg show ID has the log\):$/m);
    expect(st).toMatch(/^ {2}build +wg retry build +agent agent-3 exited with code 2$/m);
    expect(st).toMatch(/^ {2}lint +wg retry lint +eslint: 3 errors$/m);
    const js = p.ok(['status', '--json']).json<{ failed: Array<{ id: string; retry: string; failure_reason: string | null }> }>();
    expect(js.failed.map((f) => [f.id, f.retry])).toEqual([['build', 'wg retry build'], ['lint', 'wg retry lint']]);

    const ss = p.ok(['service', 'status']).stdout;
    expect(ss).toContain('No ready tasks. Why tasks are not running:');
    expect(ss).toContain('  - test, ship wait(s) on build, which failed: agent agent-3 exited with code 2');
    expect(ss).toContain('    fix: wg retry build (wg show build for its log)');
    // A failed task nothing waits on is not a blocker.
    expect(ss).not.toContain('on lint');
    const sj = p.ok(['service', 'status', '--json']).json<{ waiting: Array<{ kind: string; tasks: string[] }> }>();
    expect(sj.waiting).toContainEqual(expect.objectContaining({ kind: 'failed-dependency', tasks: ['test', 'ship'] }));

    // After the retry, nothing is blocked behind a failure any more.
    p.ok(['retry', 'build']);
    expect(p.ok(['service', 'status']).stdout).not.toContain('which failed');
  });

  it('service start refuses an unknown executor and lists the known ones; nothing starts', () => {
    p = serviceProject({ extraToml: '[executors.mybot]\ncommand = ["mybot", "{prompt_file}"]\n' });
    const r = p.run(['service', 'start', '--executor', 'cluade']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown executor 'cluade' for --executor (known: shell, claude, codex, mybot)\nhint: wg service start --executor shell, or define [executors.cluade] in " + `${p.wgDir}/config.toml\n`);
    const fgr = p.run(['service', 'start', '--foreground', '--executor', 'nope']);
    expect(fgr.code).toBe(2);
    expect(existsSync(p.statePath)).toBe(false);

    // The same typo in config.toml: refused (exit 1), naming the file.
    p.cleanup();
    p = serviceProject({ dispatcher: { executor: 'codx' } });
    const c = p.run(['service', 'start']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error: .*config\.toml: \[dispatcher\] executor = 'codx' is not a known executor \(known: shell, claude, codex\)\n/);
    expect(existsSync(p.statePath)).toBe(false);
    // A known custom one starts.
    p.cleanup();
    p = serviceProject({ extraToml: '[executors.mybot]\ncommand = ["mybot", "{prompt_file}"]\n' });
    expect(p.start(['--executor', 'mybot']).pid).toBeGreaterThan(0);
  });
});
