/**
 * Exactly once through restarts (issue 9 point 6), with real daemons, real shell agents and a
 * real `kill -9` of the service: an agent outlives the service that started it, and its wrapper
 * records its exit in `agents/<id>/exit`, so a restarted service completes a finished agent's
 * task from that record — never re-runs it, never counts it as a death.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readIf } from '../helpers/files.js';
import { processRunning, sleep, waitFor } from '../helpers/proc.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';

/** SIGKILLs the daemon and waits until it is gone (its lock is then free). */
async function kill9(p: ServiceProject, pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(`daemon ${pid} gone`, () => !processRunning(pid), 5_000);
}

const lines = (path: string): string[] => (readIf(path) ?? '').split('\n').filter(Boolean);

describe('exactly once through restarts', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('an agent that finished while no service ran is completed from its exit record: not re-run, not a death', async () => {
    p = serviceProject();
    const ran = p.w('ran');
    const go = p.w('go');
    p.ok(['add', 'Long job', '--id', 'long', '--exec', `echo run >> "${ran}"; while [ ! -f "${go}" ]; do sleep 0.05; done; echo finished`]);
    const first = p.start();
    const a = await p.runningAgent('long');
    await waitFor('the agent ran', () => lines(ran).length === 1);
    await kill9(p, first.pid);
    // The agent finishes while no service runs: only its wrapper sees the exit.
    writeFileSync(go, '');
    await waitFor('agent exited', () => !processRunning(a.pid));
    expect(JSON.parse(readFileSync(`${p.wgDir}/agents/${a.id}/exit`, 'utf8'))).toMatchObject({ code: 0, signal: null });
    expect(p.task('long').status).toBe('in-progress');

    p.start();
    const done = await p.waitStatus('long', 'done');
    expect(done).toMatchObject({ assigned: a.id, dispatch_count: 1 });
    expect(done.retry_count).toBeUndefined();
    await waitFor('registry: done', () => p!.agents()[a.id]?.status === 'done');
    expect(p.agents()[a.id]).toMatchObject({ exit_code: 0, exit_reason: 'exited with code 0' });
    await sleep(1200); // more than a poll interval: a re-run would show now
    expect(lines(ran)).toEqual(['run']);
    expect(p.agentsOf('long')).toHaveLength(1);
    expect(p.events('claim:reclaimed')).toEqual([]);
  });

  it('a recorded non-zero exit fails the task with its last output line, also across a restart', async () => {
    p = serviceProject();
    const go = p.w('go');
    p.ok(['add', 'Check', '--id', 'check', '--exec', `while [ ! -f "${go}" ]; do sleep 0.05; done; echo checking; echo "fixed.flag missing" >&2; exit 4`]);
    const first = p.start();
    const a = await p.runningAgent('check');
    await kill9(p, first.pid);
    writeFileSync(go, '');
    await waitFor('agent exited', () => !processRunning(a.pid));
    p.start();
    const failed = await p.waitStatus('check', 'failed');
    expect(failed).toMatchObject({ failure_reason: `agent ${a.id} exited with code 4: fixed.flag missing`, failure_class: 'agent-exit-nonzero' });
    expect(failed.retry_count).toBeUndefined();
  });

  it('kill -9 of the service five times at random moments while 40 shell tasks run: every task runs exactly once', async () => {
    p = serviceProject({ dispatcher: { max_agents: 10 } });
    const out = p.w('executions');
    const ids = Array.from({ length: 40 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
    p.seed(ids.map((id) => ({ id, created_at: new Date().toISOString(), exec: `echo ${id} >> "${out}"; sleep 0.1` })));
    const t0 = performance.now();
    const delays: number[] = [];
    for (let k = 0; k < 5; k++) {
      const { pid } = p.start();
      const ms = 300 + Math.floor(Math.random() * 1200);
      delays.push(ms);
      await sleep(ms);
      await kill9(p, pid);
    }
    p.start();
    await waitFor(
      'all 40 tasks done',
      () => p!.tasks().every((t) => t.status === 'done'),
      45_000,
      100,
      () => `${p!.tasks().filter((t) => t.status !== 'done').map((t) => `${t.id}:${t.status}`).join(' ')}\n${p!.logTail(10)}`,
    );
    await sleep(1200); // a late double execution would show now
    const executions = lines(out);
    const counts = new Map<string, number>();
    for (const id of executions) counts.set(id, (counts.get(id) ?? 0) + 1);
    const exitsApplied = p.events('agent:exited').length;
    const lost = p.events('agent:dead').filter((e) => e.reason === 'spawn lost').length;
    console.log(
      `[exactly-once] 40 tasks, 5 × kill -9 after ${delays.join('/')} ms: ${executions.length} executions, ${[...counts.values()].filter((n) => n > 1).length} repeated, ` +
        `${p.events('agent:adopted').length} adoptions, ${lost} spawns lost, ${Math.round(performance.now() - t0)} ms`,
    );
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual(ids);
    expect(executions).toHaveLength(40);
    expect(exitsApplied).toBeGreaterThan(0);
    for (const t of p.tasks()) expect(t.status).toBe('done');
  }, 90_000);
});
