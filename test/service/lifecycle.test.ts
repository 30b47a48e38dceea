/**
 * The service process itself, with real daemons: start / second start / status / stop, the
 * socket and state.json, pause and resume, what agents may not do, restart with re-adoption,
 * the daemon.log, and the event-driven wake-up.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { readIf } from '../helpers/files.js';
import { processRunning, sleep, waitFor } from '../helpers/proc.js';

describe('service lifecycle', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('start → second start is a no-op → status → stop leaves no daemon; socket 0600 and state.json', async () => {
    p = serviceProject();
    const { pid, ms } = p.start();
    console.log(`[service] wg service start returned in ${ms.toFixed(0)} ms (daemon PID ${pid})`);
    expect(processRunning(pid)).toBe(true);

    // start returns only when the socket answers: the socket and state.json already exist.
    const sock = statSync(p.socketPath);
    expect(sock.isSocket()).toBe(true);
    expect(sock.mode & 0o777).toBe(0o600);
    const state = p.state()!;
    expect(state.pid).toBe(pid);
    expect(state.socket_path).toBe(p.socketPath);
    expect(Number.isNaN(Date.parse(state.started_at))).toBe(false);

    // A second start says so and starts nothing.
    const again = p.run(['service', 'start']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`already running \\(PID ${pid}\\)`));
    const againJson = p.ok(['service', 'start', '--json']).json<{ pid: number; already_running: boolean }>();
    expect(againJson).toMatchObject({ pid, already_running: true });
    expect(p.state()!.pid).toBe(pid);

    const st = p.statusJson();
    expect(st.running).toBe(true);
    expect(st.service).toMatchObject({ pid, paused: false, executor: 'shell', max_agents: 4 });
    expect(p.ok(['service', 'status']).stdout).toMatch(new RegExp(`Service: running \\(PID ${pid}`));

    const stop = p.ok(['service', 'stop']);
    expect(stop.stdout).toMatch(/Service stopped/);
    // stop returns once the daemon is gone.
    expect(processRunning(pid)).toBe(false);
    expect(p.state()).toBeUndefined();
    expect(existsSync(p.socketPath)).toBe(false);
    expect(p.statusJson().running).toBe(false);
    expect(p.ok(['service', 'stop']).stdout).toMatch(/not running/);

    // The log has the lifecycle and at least one tick summary.
    const events = p.log().map((l) => l.event);
    expect(events).toContain('service:started');
    expect(events).toContain('tick:done');
    expect(events).toContain('service:stopped');

    // Start again after a stop: a fresh daemon.
    const second = p.start();
    expect(second.pid).not.toBe(pid);
    expect(p.statusJson().running).toBe(true);
  });

  it('two concurrent starts leave exactly one daemon', async () => {
    p = serviceProject();
    const [a, b] = await Promise.all([p.wg(['service', 'start', '--json']), p.wg(['service', 'start', '--json'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const pa = a.json<{ pid: number }>().pid;
    const pb = b.json<{ pid: number }>().pid;
    p.daemonPids.add(pa).add(pb);
    expect(pa).toBe(pb);
    expect(p.state()!.pid).toBe(pa);
    // Only one service process for this .wg/: the loser of the lock race exits by itself.
    await sleep(300);
    const daemons = [pa, pb].filter(processRunning);
    expect(new Set(daemons).size).toBe(1);
  });

  it('an agent (WG_AGENT_ID set) cannot stop or pause the service', async () => {
    p = serviceProject();
    // A real agent tries, through the wg shim the service put on its PATH.
    const agent = p.script(
      p.w('agent.sh'),
      `wg service stop 2>"${p.w('stop.err')}"; echo $? > "${p.w('stop.rc')}"
wg service pause 2>"${p.w('pause.err')}"; echo $? > "${p.w('pause.rc')}"
command -v wg > "${p.w('which')}"
`,
    );
    p.ok(['add', 'Try to stop', '--id', 'rogue', '--exec', `bash ${agent}`]);
    const { pid } = p.start();
    await p.waitStatus('rogue', 'done');
    expect(readIf(p.w('stop.rc'))?.trim()).toBe('1');
    expect(readIf(p.w('pause.rc'))?.trim()).toBe('1');
    expect(readIf(p.w('stop.err'))).toMatch(/an agent \(agent-1\) cannot stop the service/);
    expect(readIf(p.w('pause.err'))).toMatch(/cannot pause the service/);
    // The agent's `wg` is the shim in .wg/service/bin.
    expect(readIf(p.w('which'))?.trim()).toBe(join(p.wgDir, 'service', 'bin', 'wg'));
    // The service is still up and not paused.
    expect(processRunning(pid)).toBe(true);
    const st = p.statusJson();
    expect(st.running).toBe(true);
    expect(st.paused).toBe(false);

    // Same from outside with WG_AGENT_ID set.
    for (const verb of ['stop', 'pause', 'restart']) {
      const r = p.run(['service', verb], { WG_AGENT_ID: 'agent-7' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`agent-7\\) cannot ${verb} the service`));
    }
    expect(processRunning(pid)).toBe(true);
    expect(p.statusJson().paused).toBe(false);
  });

  it('pause stops spawning (status explains it) and resume restarts it', async () => {
    p = serviceProject();
    p.start();
    p.ok(['service', 'pause']);
    p.ok(['add', 'Held back', '--id', 'held', '--exec', 'true']);
    // Longer than one poll_interval (1 s) plus the kick: nothing may be spawned while paused.
    await sleep(1300);
    expect(p.task('held').status).toBe('open');
    expect(p.agentsOf('held')).toHaveLength(0);
    const st = p.statusJson();
    expect(st.paused).toBe(true);
    const paused = st.waiting.find((w) => w.kind === 'paused');
    expect(paused?.tasks).toEqual(['held']);
    expect(paused?.fix).toBe('wg service resume');
    expect(p.ok(['service', 'status']).stdout).toMatch(/dispatcher PAUSED/);

    const t0 = Date.now();
    p.ok(['service', 'resume']);
    await p.waitStatus('held', 'done', 5000);
    console.log(`[service] resume → task done in ${Date.now() - t0} ms`);
    expect(p.statusJson().paused).toBe(false);
    expect(p.events('service:paused')).toHaveLength(1);
    expect(p.events('service:resumed')).toHaveLength(1);
  });

  it('a graph change wakes the dispatcher at once; poll_interval is only a safety net', async () => {
    p = serviceProject({ dispatcher: { poll_interval: '60s' } });
    p.start();
    await sleep(200); // let the first tick pass
    const t0 = Date.now();
    p.ok(['add', 'Quick', '--id', 'quick', '--exec', 'true']);
    await p.waitStatus('quick', 'done', 5000);
    const ms = Date.now() - t0;
    console.log(`[service] wg add → agent done with poll_interval=60s: ${ms} ms`);
    expect(ms).toBeLessThan(3000);
    // A dependent becomes ready by the first one's exit and runs without a timer either.
    p.ok(['add', 'First', '--id', 'first', '--exec', 'sleep 0.2']);
    p.ok(['add', 'Second', '--id', 'second', '--after', 'first', '--exec', 'true']);
    await p.waitStatus('second', 'done', 5000);
  });

  it('settling_delay: a new task is not spawned until it has settled, so its dependencies can be added next', async () => {
    // 6 s: room for the two commands below even on a loaded 2-core machine (each starts node).
    p = serviceProject({ dispatcher: { settling_delay: '6000ms' } });
    p.start();
    p.ok(['add', 'Build', '--id', 'build', '--exec', `echo build >> "${p.w('order')}"`]);
    const created = Date.parse(p.task('build').created_at as string);
    // Added by a second command, within the settling window: build must wait for it.
    p.ok(['add', 'Setup', '--id', 'setup', '--exec', `echo setup >> "${p.w('order')}"`]);
    p.ok(['edit', 'build', '--add-after', 'setup']);
    // The premise: the edit landed inside build's settling window.
    expect(Date.now() - created).toBeLessThan(6000);
    const st = p.statusJson();
    expect(st.waiting.find((w) => w.kind === 'settling')?.tasks).toContain('setup');
    await p.waitStatus('build', 'done', 20_000);
    expect(readIf(p.w('order'))!.trim().split('\n')).toEqual(['setup', 'build']);
    const firstSpawn = Date.parse(p.task('setup').started_at as string);
    expect(firstSpawn - created).toBeGreaterThanOrEqual(5900);
  });

  it('restart re-adopts a running agent: no second spawn, and the task completes', async () => {
    p = serviceProject();
    const agent = p.script(
      p.w('agent.sh'),
      `touch "${p.w('started')}"
while [ ! -f "${p.w('go')}" ]; do sleep 0.05; done
wg log "$WG_TASK_ID" "finished after the restart"
wg done "$WG_TASK_ID"
`,
    );
    p.ok(['add', 'Long job', '--id', 'long', '--exec', `bash ${agent}`]);
    const first = p.start();
    const a1 = await p.runningAgent('long');
    await waitFor('agent started', () => readIf(p!.w('started')) !== undefined);

    const r = p.ok(['service', 'restart', '--json']);
    const newPid = r.json<{ pid: number }>().pid;
    p.daemonPids.add(newPid);
    expect(newPid).not.toBe(first.pid);
    expect(processRunning(first.pid)).toBe(false);
    // The agent survived the restart.
    expect(processRunning(a1.pid)).toBe(true);
    // The new service adopts it (log line) and does not spawn a second agent.
    await waitFor('agent:adopted in daemon.log', () => p!.events('agent:adopted').some((l) => l.agent === a1.id && l.pid === a1.pid));
    await sleep(1200); // more than one poll interval: a double spawn would show now
    expect(p.agentsOf('long').map((a) => a.id)).toEqual([a1.id]);
    expect(p.task('long')).toMatchObject({ status: 'in-progress', assigned: a1.id });
    expect(p.statusJson().agents_alive.map((a) => a.id)).toEqual([a1.id]);

    writeFileSync(p.w('go'), '');
    const done = await p.waitStatus('long', 'done');
    expect(done.assigned).toBe(a1.id);
    expect(done.retry_count).toBeUndefined();
    expect(done.dispatch_count).toBe(1);
    // The adopted agent's exit is noticed (by polling) and nothing is respawned.
    await waitFor('adopted agent no longer alive in the registry', () => p!.agents()[a1.id]!.status !== 'working');
    await sleep(300);
    expect(p.agentsOf('long')).toHaveLength(1);
    expect(processRunning(a1.pid)).toBe(false);
  });
});
