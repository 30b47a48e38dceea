/**
 * The real Claude Code CLI (pinned devDependency) driven by wg's own argv against the loopback
 * Anthropic mock: a task claimed for agent-1, the `wg` shim first on PATH, the prompt on stdin.
 * Each run is also checked against (or, with WG_CAPTURE_FIXTURES=1, saved as) its fixture in
 * test/fixtures/agent-output/claude/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { evaluatorSpec } from '../../src/agency/evaluator.js';
import { parseEvaluatorOutput } from '../../src/agency/rubric.js';
import { readAgentOutput } from '../../src/agents/executors/stream.js';
import { loadSettings } from '../../src/settings.js';
import { pathsFor } from '../../src/store/paths.js';
import { agentSandbox, IS_ROOT, showTask, type AgentSandbox } from '../helpers/agent-cli.js';
import { matchFixture } from '../helpers/agent-fixtures.js';
import { startAnthropicMock, type AnthropicMock } from '../helpers/mock-anthropic.js';

const owned: Array<{ sb?: AgentSandbox; mock: AnthropicMock }> = [];
afterEach(async () => {
  for (const o of owned.splice(0)) {
    o.sb?.cleanup();
    await o.mock.close();
  }
});

async function setup(...args: Parameters<typeof startAnthropicMock>): Promise<{ mock: AnthropicMock; sandbox: (o?: Omit<Parameters<typeof agentSandbox>[0], 'cli' | 'origin'>) => Promise<AgentSandbox> }> {
  const mock = await startAnthropicMock(...args);
  const entry: { sb?: AgentSandbox; mock: AnthropicMock } = { mock };
  owned.push(entry);
  return {
    mock,
    sandbox: async (o = {}) => (entry.sb = await agentSandbox({ cli: 'claude', origin: mock.origin, ...o })),
  };
}

const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('real claude against the mock Anthropic API', () => {
  it('logs and completes its task through the Bash tool (wg log, wg done); usage, session and model are read from the stream', async () => {
    const { mock, sandbox } = await setup([
      { bash: 'wg log $WG_TASK_ID "found the bug in parser.ts"', text: 'Logging progress.' },
      { bash: 'wg done $WG_TASK_ID' },
      { text: 'Done: logged and completed.' },
    ]);
    const sb = await sandbox({ model: 'claude:sonnet' });
    expect(sb.spec.argv).toEqual(['claude', '--print', '--verbose', '--output-format', 'stream-json', '--permission-mode', 'bypassPermissions', '--model', 'sonnet']);
    const run = await sb.run();
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toBe('');

    const task = await showTask(sb);
    expect(task.status).toBe('done');
    expect(task.log?.map((l) => [l.message, l.actor])).toContainEqual(['found the bug in parser.ts', 'agent-1']);
    expect(mock.toolResults().map((t) => [t.text, t.is_error])).toEqual([
      ["Logged to 'fix-the-thing'", false],
      ["Marked 'fix-the-thing' as done", false],
    ]);
    // Nothing but the three main-loop calls: no probe, no telemetry, no side call.
    expect(mock.unexpected()).toEqual([]);
    expect(mock.requests.map((r) => [r.method, r.path, r.answer?.label])).toEqual([
      ['POST', '/v1/messages', 'stream:turn0:tool_use'],
      ['POST', '/v1/messages', 'stream:turn1:tool_use'],
      ['POST', '/v1/messages', 'stream:turn2:text'],
    ]);
    const first = mock.requests[0]!;
    expect(first.headers['x-api-key']).toBe('sk-ant-mock-key');
    expect((first.json as { model: string }).model).toBe('claude-sonnet-5-5');
    expect(JSON.stringify((first.json as { messages: unknown }).messages)).toContain('Your task id is fix-the-thing');

    const events = lines(run.stdout);
    const init = events.find((e) => e.type === 'system' && e.subtype === 'init')!;
    const result = events.filter((e) => e.type === 'result').at(-1)!;
    expect(result).toMatchObject({ subtype: 'success', is_error: false, num_turns: 3 });
    const report = readAgentOutput(run.output);
    expect(report).toEqual({
      session_id: init.session_id,
      model: 'claude-sonnet-5-5',
      // 3 turns × the mock's default usage (120 in, 30 out, 500 cache read, 2000 cache write)
      token_usage: { cost_usd: result.total_cost_usd, input_tokens: 360, output_tokens: 90, cache_read_input_tokens: 1500, cache_creation_input_tokens: 6000 },
      reported: 'done',
    });
    expect(result.total_cost_usd).toBeGreaterThan(0);
    matchFixture('claude', 'success', 'wg log + wg done through Bash, then a final text (--model sonnet)', run);
  });

  it('exits 0 when the session ends without calling wg: the task stays claimed, nothing is reported', async () => {
    const { mock, sandbox } = await setup([{ text: 'I could not finish the task.' }]);
    const sb = await sandbox();
    const run = await sb.run();
    expect(run.code).toBe(0);
    expect((await showTask(sb)).status).toBe('in-progress');
    expect(mock.mainRequests()).toHaveLength(1);
    const report = readAgentOutput(run.output);
    expect(report.reported).toBeUndefined();
    expect(report.error_text).toBeUndefined();
    expect(report.token_usage).toMatchObject({ input_tokens: 120, output_tokens: 30 });
    expect(lines(run.stdout).at(-1)).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'I could not finish the task.' });
    matchFixture('claude', 'silent', 'a final text without wg done/fail', run);
  });

  // Claude Code words these itself (the API's own message is not shown).
  for (const [status, kind, text] of [
    [401, 'authentication_failed', /^Invalid API key · Fix external API key$/],
    [529, 'overloaded', /^API Error: 529 Overloaded\. This is a server-side issue/],
  ] as const) {
    it(`API ${status}: retries (api_retry events), then a result with subtype success and is_error, exit 1`, async () => {
      const { mock, sandbox } = await setup([{ error: status }]);
      // Claude Code retries 10 times by default, with backoff up to ~40 s (about 3 minutes in
      // all, for a 401 too); one retry keeps the test fast and still shows the event.
      const sb = await sandbox({ retries: 1 });
      const run = await sb.run();
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('');
      expect(mock.mainRequests().map((r) => r.answer?.label)).toEqual([`error:${status}`, `error:${status}`]);
      const events = lines(run.stdout);
      expect(events.find((e) => e.subtype === 'api_retry')).toMatchObject({ attempt: 1, max_retries: 1, error_status: status, error: kind });
      const result = events.at(-1)!;
      expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: true, api_error_status: status, modelUsage: {} });
      const report = readAgentOutput(run.output);
      expect(report.error_source).toBe('result');
      expect(report.error_text).toBe(result.result);
      expect(report.error_text).toMatch(text);
      expect(report.token_usage).toBeUndefined();
      expect((await showTask(sb)).status).toBe('in-progress');
      matchFixture('claude', `api-${status}`, `the API answers ${status} to every request`, run, { CLAUDE_CODE_MAX_RETRIES: '1' });
    });
  }

  it('without an API key: "Not logged in" as an is_error result, no request made, exit 1', async () => {
    const { mock, sandbox } = await setup([{ text: 'unused' }]);
    const sb = await sandbox({ env: { ANTHROPIC_API_KEY: undefined } });
    const run = await sb.run();
    expect(run.code).toBe(1);
    expect(mock.requests).toEqual([]);
    const report = readAgentOutput(run.output);
    expect(report.error_text).toMatch(/^Not logged in/);
    expect(lines(run.stdout).at(-1)).toMatchObject({ type: 'result', subtype: 'success', is_error: true });
    matchFixture('claude', 'not-logged-in', 'no ANTHROPIC_API_KEY', run, { ANTHROPIC_API_KEY: '(unset)' });
  });

  it(IS_ROOT ? 'as root without IS_SANDBOX=1: refuses bypassPermissions with one stderr line, exit 1, named with its fix' : 'as a non-root user without IS_SANDBOX: runs normally', async () => {
    const { mock, sandbox } = await setup([{ text: 'Hello.' }]);
    const sb = await sandbox({ env: { IS_SANDBOX: undefined } });
    const run = await sb.run();
    const report = readAgentOutput(run.output);
    if (IS_ROOT) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n');
      expect(mock.requests).toEqual([]);
      expect(report.error_source).toBe('root-refusal');
      expect(report.error_text).toContain('set IS_SANDBOX=1');
      matchFixture('claude', 'root-refusal', 'run as root without IS_SANDBOX=1', run);
    } else {
      expect(run.code).toBe(0);
      expect(report.error_text).toBeUndefined();
    }
  });

  it('a background command that finishes after the answer starts a second turn: two results, each with running totals', async () => {
    const { mock, sandbox } = await setup([
      { tool: 'Bash', input: { command: 'sleep 0.3; echo bg-finished', description: 'background job', run_in_background: true } },
      { text: 'Started it in the background.' },
      { text: 'The background job finished.' },
    ]);
    const sb = await sandbox();
    const run = await sb.run();
    expect(run.code).toBe(0);
    expect(mock.mainRequests()).toHaveLength(3);
    const results = lines(run.stdout).filter((e) => e.type === 'result');
    expect(results.map((r) => r.result_index)).toEqual([0, 1]);
    const [r0, r1] = results as Array<{ total_cost_usd: number; usage: { input_tokens: number }; modelUsage: Record<string, { inputTokens: number }> }>;
    // The second result's totals include the first turn's: summing them would count it twice.
    expect(r1!.total_cost_usd).toBeGreaterThan(r0!.total_cost_usd);
    expect(Object.values(r1!.modelUsage)[0]!.inputTokens).toBe(360);
    expect(r1!.usage.input_tokens).toBe(120); // `usage` is the last turn's main loop only
    expect(readAgentOutput(run.output).token_usage).toMatchObject({ cost_usd: r1!.total_cost_usd, input_tokens: 360, output_tokens: 90 });
    matchFixture('claude', 'two-results', 'a background Bash command finishing after the first answer', run);
  });

  it('a subagent on another model: modelUsage holds both models, result.usage only the main loop', async () => {
    const { mock, sandbox } = await setup(
      [{ tool: 'Agent', input: { description: 'look around', prompt: 'Say hello', subagent_type: 'general-purpose', model: 'haiku' } }, { text: 'The subagent said hello.' }, { text: 'All done.' }],
      { byModel: { haiku: [{ text: 'hello from the subagent', usage: { input_tokens: 50, output_tokens: 7, cache_read_input_tokens: 100 } }] } },
    );
    const sb = await sandbox();
    const run = await sb.run();
    expect(run.code).toBe(0);
    expect(mock.requests.some((r) => r.answer?.label === 'stream:haiku:turn0:text')).toBe(true);
    const last = lines(run.stdout).filter((e) => e.type === 'result').at(-1) as { modelUsage: Record<string, unknown>; usage: { input_tokens: number } };
    expect(Object.keys(last.modelUsage).sort()).toEqual(['claude-haiku-5-5', 'claude-opus-5-5']);
    const report = readAgentOutput(run.output);
    expect(report.model).toBe('claude-opus-5-5');
    // Main loop 3 × 120 in / 30 out; the subagent 50 in / 7 out / 100 cache read.
    expect(report.token_usage).toMatchObject({ input_tokens: 410, output_tokens: 97, cache_read_input_tokens: 1600 });
    expect(last.usage.input_tokens).toBeLessThan(410);
    matchFixture('claude', 'subagent', 'an Agent tool call running a haiku subagent', run);
  });

  it("the evaluator's argv (--output-format json): the model comes from modelUsage, API errors read as text", async () => {
    const verdict = JSON.stringify({ score: 0.8, dimensions: { correctness: 0.9 }, notes: 'Solid.' });
    const { mock, sandbox } = await setup([], { byModel: { haiku: [{ text: verdict }] } });
    const sb = await sandbox();
    const spec = evaluatorSpec(loadSettings(pathsFor(sb.project.wgDir).config).agency, sb.taskId);
    expect(spec.argv).toEqual(['claude', '--print', '--output-format', 'json', '--model', 'haiku']);
    const run = await sb.run({ argv: spec.argv, stdin: 'Evaluate the task.' });
    expect(run.code).toBe(0);
    expect(mock.requests.map((r) => r.answer?.label)).toContain('stream:haiku:turn0:text');
    const envelope = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(envelope.model).toBeUndefined(); // the real envelope has no top-level model
    const parsed = parseEvaluatorOutput(run.stdout);
    expect(parsed).toMatchObject({ score: 0.8, dimensions: { correctness: 0.9 }, notes: 'Solid.', model: 'claude-haiku-5-5' });
    matchFixture('claude', 'evaluator-json', 'claude --print --output-format json --model haiku answering an evaluation', run);
  });
});
