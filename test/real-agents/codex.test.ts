/**
 * The real Codex CLI (pinned devDependency) driven by wg's own argv against the loopback
 * Responses mock: a task claimed for agent-1, the `wg` shim first on PATH, the prompt on stdin.
 * Each run is also checked against (or, with WG_CAPTURE_FIXTURES=1, saved as) its fixture in
 * test/fixtures/agent-output/codex/.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readAgentOutput } from '../../src/agents/executors/stream.js';
import { agentSandbox, showTask, type AgentSandbox } from '../helpers/agent-cli.js';
import { matchFixture } from '../helpers/agent-fixtures.js';
import { startOpenAiMock, type OpenAiMock } from '../helpers/mock-openai.js';

const owned: Array<{ sb?: AgentSandbox; mock: OpenAiMock }> = [];
afterEach(async () => {
  for (const o of owned.splice(0)) {
    o.sb?.cleanup();
    await o.mock.close();
  }
});

async function setup(...args: Parameters<typeof startOpenAiMock>): Promise<{ mock: OpenAiMock; sandbox: (o?: Omit<Parameters<typeof agentSandbox>[0], 'cli' | 'origin'>) => Promise<AgentSandbox> }> {
  const mock = await startOpenAiMock(...args);
  const entry: { sb?: AgentSandbox; mock: OpenAiMock } = { mock };
  owned.push(entry);
  return {
    mock,
    sandbox: async (o = {}) => (entry.sb = await agentSandbox({ cli: 'codex', origin: mock.origin, ...o })),
  };
}

type Ev = { type: string; item?: { type: string; command?: string; exit_code?: number | null; aggregated_output?: string }; error?: { message: string }; message?: string };
const events = (stdout: string): Ev[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Ev);
const commands = (stdout: string): Array<{ command: string; exit_code: number | null | undefined; output: string }> =>
  events(stdout)
    .filter((e) => e.type === 'item.completed' && e.item?.type === 'command_execution')
    .map((e) => ({ command: e.item!.command!, exit_code: e.item!.exit_code, output: e.item!.aggregated_output ?? '' }));

/** wg's codex argv without the login-shell override (what it was before issue 9). */
const withoutOverride = (argv: string[]): string[] => argv.filter((a, i) => a !== 'allow_login_shell=false' && !(a === '-c' && argv[i + 1] === 'allow_login_shell=false'));

describe('real codex against the mock Responses API', () => {
  it('logs and completes its task through its shell tool; the shell is not a login shell, so the wg shim stays on PATH', async () => {
    const { mock, sandbox } = await setup([
      { shell: 'wg log $WG_TASK_ID "found the bug in parser.ts"', text: 'Logging progress.' },
      { shell: 'wg done $WG_TASK_ID' },
      { text: 'Done: logged and completed.' },
    ]);
    const sb = await sandbox({ model: 'openai:gpt-5.5' });
    expect(sb.spec.argv).toEqual(['codex', 'exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-c', 'allow_login_shell=false', '--model', 'gpt-5.5', '-']);
    const run = await sb.run();
    expect(run.code, run.output).toBe(0);

    const task = await showTask(sb);
    expect(task.status).toBe('done');
    expect(task.log?.map((l) => [l.message, l.actor])).toContainEqual(['found the bug in parser.ts', 'agent-1']);
    expect(commands(run.stdout)).toEqual([
      { command: `/bin/bash -c 'wg log $WG_TASK_ID "found the bug in parser.ts"'`, exit_code: 0, output: "Logged to 'fix-the-thing'\n" },
      { command: `/bin/bash -c 'wg done $WG_TASK_ID'`, exit_code: 0, output: "Marked 'fix-the-thing' as done\n" },
    ]);
    expect(mock.shellTool()).toBe('exec_command');
    expect(mock.toolOutputs().map((o) => o.output.split('\n').filter((l) => /^(Process exited|Logged|Marked)/.test(l)))).toEqual([
      ['Process exited with code 0', "Logged to 'fix-the-thing'"],
      ['Process exited with code 0', "Marked 'fix-the-thing' as done"],
    ]);
    // Nothing but the three turns: no model list, no plugin sync, no update check.
    expect(mock.unexpected()).toEqual([]);
    expect(mock.requests.map((r) => [r.method, r.path, r.answer?.label])).toEqual([
      ['POST', '/v1/responses', 'turn0:function_call'],
      ['POST', '/v1/responses', 'turn1:function_call'],
      ['POST', '/v1/responses', 'turn2:message'],
    ]);
    expect(mock.requests[0]!.headers.authorization).toBe('Bearer sk-mock-key');
    expect((mock.requests[0]!.json as { model: string }).model).toBe('gpt-5.5');
    expect(mock.requests[0]!.text).toContain('Your task id is fix-the-thing');

    const evs = events(run.stdout);
    const threadId = (evs.find((e) => e.type === 'thread.started') as { thread_id?: string }).thread_id;
    expect(evs.at(-1)).toEqual({ type: 'turn.completed', usage: { input_tokens: 7200, cached_input_tokens: 6000, cache_write_input_tokens: 0, output_tokens: 120, reasoning_output_tokens: 36 } });
    expect(readAgentOutput(run.output)).toEqual({
      session_id: threadId,
      // codex's input_tokens include the cached ones; wg records the uncached part
      token_usage: { input_tokens: 1200, output_tokens: 120, cache_read_input_tokens: 6000 },
      reported: 'done',
    });
    matchFixture('codex', 'success', 'wg log + wg done through exec_command, then a final message (--model gpt-5.5)', run);
  });

  it("under a login shell (codex's default) Debian's /etc/profile resets PATH and wg is not found: why wg passes -c allow_login_shell=false", async () => {
    const { mock, sandbox } = await setup([{ shell: 'wg done $WG_TASK_ID' }, { text: 'Done.' }]);
    const sb = await sandbox();
    // What a login shell does to this PATH on this machine.
    const probe = spawnSync('bash', ['-lc', 'command -v wg'], { env: sb.env, encoding: 'utf8' });
    const run = await sb.run({ argv: withoutOverride(sb.spec.argv) });
    expect(run.code).toBe(0);
    const [cmd] = commands(run.stdout);
    expect(cmd!.command).toBe(`/bin/bash -lc 'wg done $WG_TASK_ID'`);
    if (probe.status !== 0) {
      expect(cmd!.exit_code).toBe(127);
      expect(cmd!.output).toContain('wg: command not found');
      expect((await showTask(sb)).status).toBe('in-progress');
      // The WG_* variables survive the login shell; only PATH is reset.
      expect(spawnSync('bash', ['-lc', 'echo "$WG_TASK_ID:$WG_AGENT_ID"'], { env: sb.env, encoding: 'utf8' }).stdout.trim()).toBe('fix-the-thing:agent-1');
      matchFixture('codex', 'login-shell-no-wg', "codex's default login shell on Debian: wg: command not found (127)", run);
    } else {
      expect(cmd!.exit_code).toBe(0); // this host's profile keeps PATH
    }
    expect(mock.unexpected()).toEqual([]);
  });

  it('even under a login shell, the full path the prompt gives ("$WG_DIR/service/bin/wg") reaches wg', async () => {
    const { mock, sandbox } = await setup([{ shell: '"$WG_DIR/service/bin/wg" log $WG_TASK_ID "via the full path"' }, { shell: '"$WG_DIR/service/bin/wg" done $WG_TASK_ID' }, { text: 'Done.' }]);
    const sb = await sandbox();
    expect(mock.requests).toEqual([]);
    const run = await sb.run({ argv: withoutOverride(sb.spec.argv) });
    expect(run.code, run.output).toBe(0);
    expect(mock.requests[0]!.text).toContain('run it by its full path: \\"$WG_DIR/service/bin/wg\\"');
    const cmds = commands(run.stdout);
    expect(cmds.map((c) => [c.command.startsWith('/bin/bash -lc '), c.exit_code])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    const task = await showTask(sb);
    expect(task.status).toBe('done');
    expect(task.log?.map((l) => [l.message, l.actor])).toContainEqual(['via the full path', 'agent-1']);
    expect(mock.unexpected()).toEqual([]);
  });

  it('a model asking for a login shell (login: true) is refused with a message it can act on; without it, wg works', async () => {
    const { mock, sandbox } = await setup([{ shell: 'wg log $WG_TASK_ID "step"', login: true }, { shell: 'wg done $WG_TASK_ID', login: false }, { text: 'Done.' }]);
    const sb = await sandbox();
    const run = await sb.run();
    expect(run.code).toBe(0);
    expect(mock.toolOutputs()[0]!.output).toBe('login shell is disabled by config; omit `login` or set it to false.');
    expect((await showTask(sb)).status).toBe('done');
  });

  it('exits 0 when the turn ends without calling wg: the task stays claimed, nothing is reported', async () => {
    const { sandbox } = await setup([{ text: 'I could not finish the task.' }]);
    const sb = await sandbox();
    const run = await sb.run();
    expect(run.code).toBe(0);
    expect((await showTask(sb)).status).toBe('in-progress');
    const report = readAgentOutput(run.output);
    expect(report.reported).toBeUndefined();
    expect(report.error_text).toBeUndefined();
    expect(report.token_usage).toEqual({ input_tokens: 400, output_tokens: 40, cache_read_input_tokens: 2000 });
    matchFixture('codex', 'silent', 'a final message without wg done/fail', run);
  });

  it('maps cache writes: input_tokens = input − cached − cache_write, cache_creation = cache_write', async () => {
    const { sandbox } = await setup([{ text: 'Nothing to do.', usage: { input_tokens: 2400, cached_tokens: 2000, cache_write_tokens: 300, output_tokens: 40, reasoning_tokens: 12 } }]);
    const sb = await sandbox();
    const run = await sb.run();
    expect(events(run.stdout).at(-1)).toEqual({ type: 'turn.completed', usage: { input_tokens: 2400, cached_input_tokens: 2000, cache_write_input_tokens: 300, output_tokens: 40, reasoning_output_tokens: 12 } });
    expect(readAgentOutput(run.output).token_usage).toEqual({ input_tokens: 100, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 });
    matchFixture('codex', 'usage-cache-write', 'usage with cached and cache-written input', run);
  });

  // Codex words some failures itself; the API's own message shows only for 401.
  for (const [name, turn, retries, message, requests] of [
    ['api-401', { error: 401 }, 0, /^unexpected status 401 Unauthorized: Incorrect API key provided: sk-mock\*\*\*-key\./, 1],
    ['api-500', { error: 500 }, 1, /^We’re currently experiencing high demand, which may cause temporary errors\.$/, 4],
    ['api-429', { error: 429 }, 0, /^Quota exceeded\. Check your plan and billing details\.$/, 1],
    ['response-failed', { failed: 'The model is overloaded', code: 'server_is_overloaded' }, 0, /^Selected model is at capacity\. Please try a different model\.$/, 1],
  ] as const) {
    it(`${name}: turn.failed with the error text, exit 1`, async () => {
      const { mock, sandbox } = await setup([turn]);
      const sb = await sandbox({ retries });
      const run = await sb.run();
      expect(run.code).toBe(1);
      expect(mock.responseRequests()).toHaveLength(requests);
      const evs = events(run.stdout);
      const failed = evs.at(-1)!;
      expect(failed.type).toBe('turn.failed');
      expect(failed.error!.message).toMatch(message);
      if (retries) expect(evs.some((e) => e.type === 'error' && /^Reconnecting\.\.\. 1\/1 \(/.test(e.message ?? ''))).toBe(true);
      const report = readAgentOutput(run.output);
      expect(report).toMatchObject({ error_source: 'turn.failed', error_text: failed.error!.message.replace(/\s+/g, ' ').trim() });
      expect(report.token_usage).toBeUndefined();
      expect((await showTask(sb)).status).toBe('in-progress');
      matchFixture('codex', name, `the API answers ${JSON.stringify(turn)}${retries ? ` (provider retries ${retries})` : ''}`, run, retries ? { stream_max_retries: String(retries), request_max_retries: String(retries) } : undefined);
    });
  }
});
