/**
 * Failures you can read (issue 9 points 4 and 5), with real shell agents run by the service:
 * the failure reason carries the agent's last stderr line; `wg show` prints the end of a failed
 * or running agent's output and the task's tokens, cost and session id (the HTML page too);
 * `wg agents log AGENT|TASK [-n N] [-f]` tails and follows output.log.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/proc.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { wgSpawn } from '../helpers/wg.js';

describe('agent output you can read', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('a failed shell task: the reason has its last stderr line; wg show and wg agents log print the end of its output', async () => {
    p = serviceProject();
    p.ok(['add', 'Check the flag', '--id', 'check', '--exec', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "step $i"; done; echo "fixed.flag missing" >&2; exit 2']);
    p.start();
    const t = await p.waitStatus('check', 'failed');
    expect(t.failure_reason).toBe('agent agent-1 exited with code 2: fixed.flag missing');

    const show = p.ok(['show', 'check']).stdout;
    expect(show).toContain('Agent output (agent-1, last 10 lines; more: wg agents log agent-1)');
    const tail = show.slice(show.indexOf('Agent output')).split('\n').slice(1, 11).map((l) => l.trim());
    expect(tail).toEqual(['step 4', 'step 5', 'step 6', 'step 7', 'step 8', 'step 9', 'step 10', 'step 11', 'step 12', 'fixed.flag missing']);
    expect(p.ok(['show', 'check', '--json']).json<{ agent_output: { agent: string; lines: string[] } }>().agent_output).toMatchObject({ agent: 'agent-1', lines: expect.arrayContaining(['fixed.flag missing']) });

    // By task or by agent; -n.
    const byTask = p.ok(['agents', 'log', 'check', '-n', '2']).stdout.trim().split('\n');
    expect(byTask[0]).toMatch(/^==> agent-1 \(task check, failed\): .*agents\/agent-1\/output\.log$/);
    expect(byTask.slice(1)).toEqual(['step 12', 'fixed.flag missing']);
    expect(p.ok(['agents', 'log', 'agent-1', '-n', '1', '--json']).json<{ lines: string[] }>().lines).toEqual(['fixed.flag missing']);
    const missing = p.run(['agents', 'log', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no agent 'nope', and no agent ran task 'nope'\nhint: /);
    expect(p.run(['agents', 'log', 'check', '-n', 'x']).code).toBe(2);
  });

  it('wg agents log -f follows a running agent until it exits', async () => {
    p = serviceProject();
    const go = p.w('go');
    p.ok(['add', 'Slow', '--id', 'slow', '--exec', `echo first; while [ ! -f "${go}" ]; do sleep 0.05; done; echo second; echo third`]);
    p.start();
    const a = await p.runningAgent('slow');
    await waitFor('first line', () => readFileSync(String(a.output_file), 'utf8').includes('first'));
    expect(p.ok(['show', 'slow']).stdout).toMatch(/Agent output \(agent-1, last 1 lines[^\n]*\n {2}first/);
    const f = wgSpawn(p.dir, ['agents', 'log', 'slow', '-f']);
    let seen = '';
    f.child.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor('follow printed the first line', () => seen.includes('first'));
      writeFileSync(go, '');
      const r = await f.result;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').slice(1)).toEqual(['first', 'second', 'third', '==> agent-1 has ended']);
    } finally {
      if (f.child.exitCode === null) f.child.kill('SIGKILL');
    }
  });

  it('tokens, cost and session id on the task page (wg show and wg html)', async () => {
    p = serviceProject();
    p.seed([{ id: 'paid', status: 'done', created_at: new Date().toISOString(), session_id: 'sess-42', token_usage: { cost_usd: 0.0312, input_tokens: 360, output_tokens: 90, cache_read_input_tokens: 1500, cache_creation_input_tokens: 6000 } }]);
    const show = p.ok(['show', 'paid']).stdout;
    expect(show).toMatch(/Tokens +360 in · 90 out · 1,500 cache read · 6,000 cache write/);
    expect(show).toMatch(/Cost +\$0\.0312/);
    expect(show).toMatch(/Session +sess-42/);
    const out = join(p.dir, 'site');
    p.ok(['html', '--out', out]);
    const page = readdirSync(join(out, 'tasks')).map((f) => readFileSync(join(out, 'tasks', f), 'utf8')).find((h) => h.includes('sess-42'))!;
    expect(page).toContain('360 in · 90 out · 1,500 cache read · 6,000 cache write');
    expect(page).toContain('$0.0312');
  });
});
