/**
 * The dispatcher and the supervisor with real shell-script agents: priority order, max_agents,
 * dependency chains, exit codes, the hard timeout, custom executors, prompt.txt, fencing of a
 * zombie agent, and the claim rollback when a spawn fails.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { readIf } from '../helpers/files.js';
import { groupMembers, sleep, waitFor } from '../helpers/proc.js';

describe('dispatcher', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('runs ready tasks in priority order and never more than max_agents at once', async () => {
    p = serviceProject({ dispatcher: { max_agents: 2 } });
    const running = p.w('running');
    const agent = p.script(
      p.w('agent.sh'),
      `mkdir -p "${running}"
echo "$WG_TASK_ID" >> "${p.w('order')}"
touch "${running}/$WG_TASK_ID"
ls "${running}" | wc -l >> "${p.w('counts')}"
sleep 1.5
ls "${running}" | wc -l >> "${p.w('counts')}"
rm -f "${running}/$WG_TASK_ID"
`,
    );
    // Added before the service starts, so the first tick sees them all.
    const prios: Array<[string, number]> = [['p1', 1], ['p20', 20], ['p5', 5], ['p10', 10], ['p15', 15], ['p3', 3]];
    for (const [id, prio] of prios) p.ok(['add', `Task ${id}`, '--id', id, '--priority', String(prio), '--exec', `bash ${agent}`]);
    p.start();
    // While they run, the service's own view never shows more than 2 alive agents.
    let maxAlive = 0;
    await waitFor('all six tasks done', () => {
      const alive = Object.values(p!.agents()).filter((a) => a.status === 'working' || a.status === 'starting').length;
      maxAlive = Math.max(maxAlive, alive);
      return p!.tasks().every((t) => t.status === 'done');
    }, 20_000, 50);
    const counts = readFileSync(p.w('counts'), 'utf8').trim().split('\n').map(Number);
    console.log(`[service] max concurrent agents seen by marker files: ${Math.max(...counts)}, by registry: ${maxAlive}`);
    expect(Math.max(...counts)).toBe(2);
    expect(maxAlive).toBeLessThanOrEqual(2);
    // Spawn order is priority order (highest first), whatever finished first.
    const spawnOrder = p.events('agent:spawned').map((l) => l.task);
    expect(spawnOrder).toEqual(['p20', 'p15', 'p10', 'p5', 'p3', 'p1']);
    // The first two to start are the two highest priorities.
    expect(new Set(readFileSync(p.w('order'), 'utf8').trim().split('\n').slice(0, 2))).toEqual(new Set(['p20', 'p15']));
    // One spawn per task: a task held by a live agent is never spawned twice.
    for (const t of p.tasks()) expect(t.dispatch_count).toBe(1);
    expect(Object.keys(p.agents())).toHaveLength(6);
  });

  it('runs a dependency chain in order; the prompt has title, description, dependency artifacts and the workflow', async () => {
    p = serviceProject();
    const step = (name: string): string =>
      p!.script(
        p!.w(`${name}.sh`),
        `echo ${name} >> "${p!.w('order')}"
echo "output of ${name}" > "out-${name}.txt"
wg artifact "$WG_TASK_ID" "out-${name}.txt"
wg log "$WG_TASK_ID" "${name} wrote its output"
wg done "$WG_TASK_ID"
`,
      );
    p.ok(['add', 'Step A', '--id', 'a', '--exec', `bash ${step('a')}`]);
    p.ok(['add', 'Step B', '--id', 'b', '--after', 'a', '-d', 'Build on what A made.', '--exec', `bash ${step('b')}`]);
    p.ok(['add', 'Step C', '--id', 'c', '--after', 'b', '--exec', `bash ${step('c')}`]);
    p.start();
    await p.waitStatus('c', 'done', 15_000);
    expect(readFileSync(p.w('order'), 'utf8').trim().split('\n')).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(p.task(id)).toMatchObject({ status: 'done', artifacts: [`out-${id}.txt`] });
    // Each ran after its dependency was done.
    const started = (id: string): number => Date.parse(p!.task(id).started_at as string);
    const completed = (id: string): number => Date.parse(p!.task(id).completed_at as string);
    expect(started('b')).toBeGreaterThanOrEqual(completed('a'));
    expect(started('c')).toBeGreaterThanOrEqual(completed('b'));

    // agents/<id>/ of b: prompt.txt, output.log, metadata.json, and wg-call (touched by its wg calls).
    const bAgent = p.agentsOf('b')[0]!;
    const agentDir = join(p.wgDir, 'agents', bAgent.id);
    // exit and pid: the agent wrapper's exit record and its PID (exactly once through restarts).
    expect(readdirSync(agentDir).sort()).toEqual(['exit', 'metadata.json', 'output.log', 'pid', 'prompt.txt', 'wg-call']);
    const meta = JSON.parse(readFileSync(join(agentDir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ agent_id: bAgent.id, task_id: 'b', executor: 'shell', argv: ['bash', '-c', `bash ${p.w('b.sh')}`] });
    const prompt = readFileSync(join(agentDir, 'prompt.txt'), 'utf8');
    expect(prompt).toContain('Step B');
    expect(prompt).toContain('Build on what A made.');
    expect(prompt).toContain('out-a.txt'); // the dependency's artifact
    expect(prompt).toContain('a wrote its output'); // and its log
    expect(prompt).toContain('wg done');
    expect(prompt).toContain('wg fail');
    expect(prompt).toContain('wg log');
  });

  it('an agent that exits 0 without wg done → done; exit 3 → failed (agent-exit-nonzero)', async () => {
    p = serviceProject();
    p.ok(['add', 'Quiet success', '--id', 'ok', '--exec', 'echo working; exit 0']);
    p.ok(['add', 'Crash', '--id', 'bad', '--exec', 'echo oops >&2; exit 3']);
    // The env the supervisor gives an agent.
    p.ok(['add', 'Env', '--id', 'env', '--exec', `env | grep -E '^WG_(TASK_ID|AGENT_ID|CLAIM_EPOCH|DIR)=' | sort > "${p.w('env')}"`]);
    p.start();
    const ok = await p.waitStatus('ok', 'done');
    const bad = await p.waitStatus('bad', 'failed');
    await p.waitStatus('env', 'done');
    expect(ok.failure_class).toBeUndefined();
    expect(bad).toMatchObject({ failure_class: 'agent-exit-nonzero' });
    expect(bad.failure_reason).toMatch(/exited with code 3/);
    const okAgent = p.agentsOf('ok')[0]!;
    const badAgent = p.agentsOf('bad')[0]!;
    await waitFor('registry updated', () => p!.agents()[badAgent.id]!.status === 'failed' && p!.agents()[okAgent.id]!.status === 'done');
    expect(p.agents()[badAgent.id]!.exit_code).toBe(3);
    expect(readFileSync(join(p.wgDir, 'agents', badAgent.id, 'output.log'), 'utf8')).toContain('oops');
    const envAgent = p.agentsOf('env')[0]!;
    expect(readFileSync(p.w('env'), 'utf8').trim().split('\n')).toEqual([
      `WG_AGENT_ID=${envAgent.id}`,
      `WG_CLAIM_EPOCH=${envAgent.claim_epoch}`,
      `WG_DIR=${p.wgDir}`,
      'WG_TASK_ID=env',
    ]);
    // daemon.log: a spawn and an exit line per agent, and tick summaries.
    expect(p.events('agent:spawned').map((l) => l.task).sort()).toEqual(['bad', 'env', 'ok']);
    const exits = p.events('agent:exited');
    expect(exits.find((l) => l.task === 'bad')).toMatchObject({ code: 3, action: 'failed' });
    expect(exits.find((l) => l.task === 'ok')).toMatchObject({ code: 0, action: 'done' });
    const ticks = p.events('tick:done');
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks[0]).toHaveProperty('alive');
    expect(ticks[0]).toHaveProperty('spawned');
    expect(ticks[0]).toHaveProperty('reclaimed');
  });

  it('hard timeout: an agent that ignores SIGTERM is SIGKILLed after kill_grace → failed agent-hard-timeout', async () => {
    p = serviceProject({ dispatcher: { kill_grace: '400ms' } });
    const agent = p.script(
      p.w('stubborn.sh'),
      `trap 'echo got-term >> "${p.w('signals')}"' TERM
sleep 300 &
echo $! > "${p.w('child.pid')}"
while :; do sleep 0.05; done
`,
    );
    // 2 s: the deadline runs from the spawn, and the agent wrapper (a node process) starts first —
    // on a loaded machine bash must still have its trap in place when SIGTERM comes.
    p.ok(['add', 'Hangs', '--id', 'hang', '--timeout', '2s', '--exec', `bash ${agent}`]);
    p.start();
    const a = await p.runningAgent('hang');
    const t0 = Date.parse(p.agents()[a.id]!.started_at as string);
    const failed = await p.waitStatus('hang', 'failed', 10_000);
    const elapsed = Date.now() - t0;
    console.log(`[service] hard timeout 2s + kill_grace 400ms → failed after ${elapsed} ms`);
    expect(failed.failure_class).toBe('agent-hard-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(2000 + 400 + 2500);
    // It got SIGTERM first, then SIGKILL; nothing of its group survives, the child included.
    expect(readIf(p.w('signals'))).toMatch(/got-term/);
    const child = Number(readFileSync(p.w('child.pid'), 'utf8'));
    p.extraPids.add(child);
    await waitFor('group empty', () => groupMembers(a.pgid).length === 0, 3000);
    expect(p.events('agent:killed').some((l) => l.agent === a.id && l.reason === 'timeout')).toBe(true);
  });

  it('agent_timeout from the config applies when the task has no --timeout', async () => {
    p = serviceProject({ dispatcher: { agent_timeout: '700ms', kill_grace: '200ms' } });
    p.ok(['add', 'Slow', '--id', 'slow', '--exec', 'sleep 300']);
    p.start();
    const t0 = Date.now();
    const failed = await p.waitStatus('slow', 'failed', 8000);
    expect(failed.failure_class).toBe('agent-hard-timeout');
    expect(Date.now() - t0).toBeLessThan(700 + 200 + 3000);
  });

  it('an agent still running after its task is done is stopped after kill_grace; the task stays done', async () => {
    p = serviceProject({ dispatcher: { kill_grace: '400ms' } });
    p.ok(['add', 'Lingers', '--id', 'linger', '--exec', `wg done "$WG_TASK_ID"; sleep 300 & wait`]);
    p.ok(['add', 'Human closes it', '--id', 'closed', '--exec', 'sleep 300']);
    p.start();
    const a1 = await p.runningAgent('linger');
    const a2 = await p.runningAgent('closed');
    p.ok(['done', 'closed']); // a human finishes the task under a running agent
    for (const a of [a1, a2]) {
      await waitFor(`${a.id} stopped`, () => groupMembers(a.pgid).length === 0, 5000);
      expect(p.events('agent:killed').some((l) => l.agent === a.id && l.reason === 'task-terminal')).toBe(true);
    }
    expect(p.task('linger').status).toBe('done');
    expect(p.task('closed').status).toBe('done');
    await waitFor('exits handled', () => p!.events('agent:exited').length === 2);
    expect(p.task('closed').failure_class).toBeUndefined();
  });

  it('a custom executor gets {prompt_file}, {task_id} and {model} filled in', async () => {
    p = serviceProject();
    const custom = p.script(
      p.w('custom.sh'),
      `printf '%s\\n' "$@" > "${p.w('argv')}"
cp "$1" "${p.w('prompt-copy')}"
wg log "$2" "custom executor ran"
wg done "$2"
`,
    );
    writeFileSync(
      join(p.wgDir, 'config.toml'),
      `[dispatcher]
executor = "mine"
poll_interval = "1s"
kill_grace = "300ms"
settling_delay = "0ms"

[executors.mine]
command = ["bash", "${custom}", "{prompt_file}", "{task_id}", "--model={model}"]
`,
    );
    p.ok(['add', 'Custom work', '--id', 'cw', '-d', 'Do it the custom way.', '--model', 'm-large']);
    p.start();
    const done = await p.waitStatus('cw', 'done');
    const agentId = done.assigned as string;
    const promptFile = join(p.wgDir, 'agents', agentId, 'prompt.txt');
    expect(readFileSync(p.w('argv'), 'utf8').trim().split('\n')).toEqual([promptFile, 'cw', '--model=m-large']);
    const prompt = readFileSync(p.w('prompt-copy'), 'utf8');
    expect(prompt).toContain('Custom work');
    expect(prompt).toContain('Do it the custom way.');
    expect((done.log as Array<{ message: string }>).map((e) => e.message)).toContain('custom executor ran');
    expect(p.agents()[agentId]).toMatchObject({ executor: 'mine', model: 'm-large' });
  });

  it('fencing: an agent whose claim was taken (wg unclaim) gets exit 3 from wg done and changes nothing', async () => {
    p = serviceProject({ dispatcher: { kill_grace: '5s' } });
    // On SIGTERM (the service kills an agent whose claim moved) this zombie still tries to finish.
    const agent = p.script(
      p.w('zombie.sh'),
      `finish() {
  wg log "$WG_TASK_ID" "zombie was here" 2>"${p.w('log.err')}"; echo $? > "${p.w('log.rc')}"
  wg done "$WG_TASK_ID" 2>"${p.w('done.err')}"; echo $? > "${p.w('done.rc')}"
  exit 0
}
trap finish TERM
touch "${p.w('started')}"
while :; do sleep 0.05; done
`,
    );
    p.ok(['add', 'Contested', '--id', 'x', '--exec', `bash ${agent}`]);
    p.start();
    const a = await p.runningAgent('x');
    await waitFor('agent started', () => readIf(p!.w('started')) !== undefined);
    // Pause first so the released task is not simply respawned; maintenance still runs.
    p.ok(['service', 'pause']);
    p.ok(['unclaim', 'x']);
    await waitFor('zombie tried wg done', () => readIf(p!.w('done.rc')), 10_000);
    expect(readIf(p.w('done.rc'))!.trim()).toBe('3');
    expect(readIf(p.w('log.rc'))!.trim()).toBe('3');
    expect(readIf(p.w('done.err'))).toMatch(/claim lost: task 'x'/);
    const t = p.task('x');
    expect(t.status).toBe('open');
    expect(t.assigned).toBeUndefined();
    expect(t.claim_epoch).toBe((a.claim_epoch ?? 0) + 1);
    expect((t.log as Array<{ message: string }>).some((e) => e.message.includes('zombie'))).toBe(false);
    expect(p.events('agent:killed').some((l) => l.agent === a.id && l.reason === 'claim-lost')).toBe(true);
    // The kill of a claim-lost agent is not a death of the task: no retry counted.
    await waitFor('agent exit handled', () => p!.events('agent:exited').some((l) => l.agent === a.id));
    expect(p.task('x').retry_count).toBeUndefined();
    expect(p.task('x').status).toBe('open');
  });

  it('a spawn that fails rolls the claim back and backs off instead of retrying in a hot loop', async () => {
    p = serviceProject();
    // Executable, but its interpreter does not exist: found on PATH, fails at exec time.
    const broken = p.script(join(p.binDir, 'broken-agent'), '#!/nonexistent/interpreter\n');
    writeFileSync(
      join(p.wgDir, 'config.toml'),
      `[dispatcher]
executor = "broken"
poll_interval = "1s"
kill_grace = "300ms"
settling_delay = "0ms"

[executors.broken]
command = ["${broken}", "{task_id}"]
`,
    );
    p.ok(['add', 'Cannot start', '--id', 'cs']);
    p.start();
    await waitFor('a spawn failure', () => p!.events('spawn:failed').length > 0);
    await sleep(2000);
    // (A respawn may be under way: the command's failure to start comes back from its wrapper.)
    const t = await p.waitStatus('cs', 'open');
    expect(t.status).toBe('open');
    expect(t.assigned).toBeUndefined();
    const failures = p.events('spawn:failed').length;
    console.log(`[service] spawn failures in ~2 s with backoff: ${failures}`);
    expect(failures).toBeLessThanOrEqual(3);
    const messages = (t.log as Array<{ message: string }>).map((e) => e.message);
    expect(messages.some((m) => /^Spawn of agent-1 failed: .*ENOENT/.test(m))).toBe(true);
    expect(Object.values(p.agents()).every((a) => a.status === 'failed')).toBe(true);
  });
});

