/**
 * The claude and codex executors, against fake `claude` / `codex` executables put first on the
 * service's PATH: the exact argv of the real CLIs, the prompt on stdin, the agent calling
 * `wg log` / `wg done` through the shim, and the session id + token usage read from the
 * stream-json output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { waitFor } from '../helpers/proc.js';

/** A fake agent CLI: records argv and stdin, prints `lines` around a wg log + wg done. */
function fakeCli(p: ServiceProject, name: string, first: object[], last: object[], opts: { done?: boolean; exit?: number } = {}): void {
  const out = p.w(name);
  const echo = (objs: object[]): string => objs.map((o) => `echo '${JSON.stringify(o)}'`).join('\n');
  p.script(
    join(p.binDir, name),
    `printf '%s\\n' "$@" > "${out}.argv"
cat > "${out}.stdin"
${echo(first)}
wg log "$WG_TASK_ID" "${name} read $(wc -c < "${out}.stdin") bytes of prompt"
${opts.done === false ? '' : 'wg done "$WG_TASK_ID"'}
${echo(last)}
exit ${opts.exit ?? 0}
`,
  );
}

const logMessages = (t: Record<string, unknown>): string[] => (t.log as Array<{ message: string }>).map((e) => e.message);

describe('executors', () => {
  let p: ServiceProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  it('claude: real argv, prompt on stdin, wg log/done from the agent, session id and token usage recorded', async () => {
    p = serviceProject({ dispatcher: { executor: 'claude', model: 'claude:opus' } });
    fakeCli(
      p,
      'claude',
      [{ type: 'system', subtype: 'init', session_id: 'sess-123', model: 'opus' }, { type: 'assistant', message: { content: [{ type: 'text', text: 'working' }] } }],
      [{ type: 'result', subtype: 'success', session_id: 'sess-123', usage: { input_tokens: 10, output_tokens: 5 }, total_cost_usd: 0.01 }],
    );
    p.ok(['add', 'Write the parser', '--id', 'parser', '-d', 'Parse the config file.']);
    p.start();
    const done = await p.waitStatus('parser', 'done');
    const agentId = done.assigned as string;

    expect(readFileSync(p.w('claude.argv'), 'utf8').trim().split('\n')).toEqual([
      '--print',
      '--verbose',
      '--output-format',
      'stream-json',
      '--permission-mode',
      'bypassPermissions',
      '--model',
      'opus',
    ]);
    const stdin = readFileSync(p.w('claude.stdin'), 'utf8');
    expect(stdin).toBe(readFileSync(join(p.wgDir, 'agents', agentId, 'prompt.txt'), 'utf8'));
    expect(stdin).toContain('Write the parser');
    expect(stdin).toContain('Parse the config file.');
    expect(logMessages(done).some((m) => /^claude read \d+ bytes of prompt$/.test(m))).toBe(true);

    const meta = JSON.parse(readFileSync(join(p.wgDir, 'agents', agentId, 'metadata.json'), 'utf8')) as { argv: string[]; executor: string };
    expect(meta.executor).toBe('claude');
    expect(meta.argv[0]).toBe('claude');

    // The stream's session id and usage land in the registry and on the task.
    const rec = await waitFor('registry has the usage', () => {
      const a = p!.agents()[agentId];
      return a?.token_usage ? a : undefined;
    });
    expect(rec.session_id).toBe('sess-123');
    expect(rec.token_usage).toMatchObject({ input_tokens: 10, output_tokens: 5, cost_usd: 0.01 });
    expect(rec.status).toBe('done');
    const t = await waitFor('task has the usage', () => (p!.task('parser').token_usage ? p!.task('parser') : undefined));
    expect(t.token_usage).toMatchObject({ input_tokens: 10, output_tokens: 5, cost_usd: 0.01 });
    expect(t.session_id).toBe('sess-123');
  });

  it('claude without --model when no model is configured; an agent that exits 0 without wg done fails (it did not report)', async () => {
    p = serviceProject({ dispatcher: { executor: 'claude' } });
    fakeCli(p, 'claude', [{ type: 'system', subtype: 'init', session_id: 'sess-9' }], [{ type: 'result', subtype: 'success', usage: { input_tokens: 1, output_tokens: 2 } }], { done: false });
    p.ok(['add', 'Plain', '--id', 'plain']);
    p.start();
    const failed = await p.waitStatus('plain', 'failed');
    expect(readFileSync(p.w('claude.argv'), 'utf8').trim().split('\n')).toEqual(['--print', '--verbose', '--output-format', 'stream-json', '--permission-mode', 'bypassPermissions']);
    expect(failed).toMatchObject({ failure_reason: 'agent exited without reporting (wg done / wg fail)', failure_class: 'agent-exit-nonzero' });
    expect(failed.token_usage).toMatchObject({ input_tokens: 1, output_tokens: 2 });
    expect(failed.session_id).toBe('sess-9');
  });

  it('codex: real argv (prompt from stdin via "-"), thread id and usage recorded', async () => {
    p = serviceProject({ dispatcher: { executor: 'codex' } });
    fakeCli(
      p,
      'codex',
      [{ type: 'thread.started', thread_id: 'th-1' }, { type: 'turn.started' }],
      [{ type: 'item.completed', item: { type: 'agent_message', text: 'done' } }, { type: 'turn.completed', usage: { input_tokens: 20, cached_input_tokens: 4, output_tokens: 7 } }],
    );
    p.ok(['add', 'Refactor', '--id', 'refactor', '--model', 'codex:gpt-5']);
    p.start();
    const done = await p.waitStatus('refactor', 'done');
    expect(readFileSync(p.w('codex.argv'), 'utf8').trim().split('\n')).toEqual([
      'exec',
      '--json',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '-c',
      'allow_login_shell=false',
      '--model',
      'gpt-5',
      '-',
    ]);
    expect(readFileSync(p.w('codex.stdin'), 'utf8')).toContain('Refactor');
    expect(logMessages(done).some((m) => m.startsWith('codex read'))).toBe(true);
    const rec = await waitFor('registry has the usage', () => {
      const a = p!.agents()[done.assigned as string];
      return a?.token_usage ? a : undefined;
    });
    expect(rec.session_id).toBe('th-1');
    // codex's input_tokens include the cached ones; wg records the uncached part (docs/service.md)
    expect(rec.token_usage).toMatchObject({ input_tokens: 16, output_tokens: 7, cache_read_input_tokens: 4 });
    const t = await waitFor('task has the usage', () => (p!.task('refactor').token_usage ? p!.task('refactor') : undefined));
    expect(t.token_usage).toMatchObject({ input_tokens: 16, output_tokens: 7 });
  });

  it('a fake claude that fails (exit 3) → failed agent-exit-nonzero, usage still recorded', async () => {
    p = serviceProject({ dispatcher: { executor: 'claude' } });
    fakeCli(p, 'claude', [{ type: 'system', subtype: 'init', session_id: 'sess-x' }], [{ type: 'result', subtype: 'error_during_execution', usage: { input_tokens: 3, output_tokens: 1 } }], { done: false, exit: 3 });
    p.ok(['add', 'Will fail', '--id', 'wf']);
    p.start();
    const failed = await p.waitStatus('wf', 'failed');
    expect(failed.failure_class).toBe('agent-exit-nonzero');
    expect(failed.token_usage).toMatchObject({ input_tokens: 3, output_tokens: 1 });
  });
});
