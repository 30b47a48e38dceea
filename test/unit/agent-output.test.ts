/**
 * The agent-output reader (src/agents/executors/stream.ts) on real captured output of the
 * pinned claude and codex CLIs (test/fixtures/agent-output, captured by test/real-agents).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvaluatorOutput } from '../../src/agency/rubric.js';
import { codexTokens, modelFromModelUsage, oneLine, readAgentOutput, ROOT_REFUSAL_FIX, summarizeStream, usageFromModelUsage, wgReportIn } from '../../src/agents/executors/stream.js';
import { fixtureManifest, readFixture, writeReplayCli } from '../helpers/agent-fixtures.js';

type Json = Record<string, any>;
const jsonLines = (text: string): Json[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Json);
const results = (text: string): Json[] => jsonLines(text).filter((e) => e.type === 'result');

describe('claude stream-json', () => {
  it('success: session, model, the last result’s modelUsage and total cost, and the wg done it ran', () => {
    const text = readFixture('claude', 'success');
    const init = jsonLines(text).find((e) => e.subtype === 'init')!;
    const last = results(text).at(-1)!;
    expect(readAgentOutput(text)).toEqual({
      session_id: init.session_id,
      model: 'claude-sonnet-5-5',
      token_usage: { cost_usd: last.total_cost_usd, input_tokens: 360, output_tokens: 90, cache_read_input_tokens: 1500, cache_creation_input_tokens: 6000 },
      reported: 'done',
    });
  });

  it('several results carry running totals: the last one counts, never the sum', () => {
    const text = readFixture('claude', 'two-results');
    const rs = results(text);
    expect(rs).toHaveLength(2);
    const report = readAgentOutput(text);
    expect(report.token_usage?.cost_usd).toBe(rs[1]!.total_cost_usd);
    expect(report.token_usage?.cost_usd).not.toBe(rs[0]!.total_cost_usd + rs[1]!.total_cost_usd);
    expect(report.token_usage?.input_tokens).toBe(360);
    // `usage` holds only the last turn's main loop: it would have said 120.
    expect(rs[1]!.usage.input_tokens).toBe(120);
  });

  it('modelUsage includes the subagent’s model; tokens are summed across models; the model is the main loop’s', () => {
    const text = readFixture('claude', 'subagent');
    const last = results(text).at(-1)!;
    expect(Object.keys(last.modelUsage).sort()).toEqual(['claude-haiku-5-5', 'claude-opus-5-5']);
    const report = readAgentOutput(text);
    expect(report.model).toBe('claude-opus-5-5');
    expect(report.token_usage).toMatchObject({ input_tokens: 410, output_tokens: 97, cache_read_input_tokens: 1600, cost_usd: last.total_cost_usd });
    expect(modelFromModelUsage(last.modelUsage)).toBe('claude-opus-5-5');
  });

  it('falls back to result.usage when there is no modelUsage', () => {
    const text = readFixture('claude', 'silent');
    const last = results(text).at(-1)!;
    delete last.modelUsage;
    expect(readAgentOutput(JSON.stringify(last)).token_usage).toEqual({ cost_usd: last.total_cost_usd, input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 500, cache_creation_input_tokens: 2000 });
  });

  it('silent exit: usage, no report, no error', () => {
    const r = readAgentOutput(readFixture('claude', 'silent'));
    expect(r.reported).toBeUndefined();
    expect(r.error_text).toBeUndefined();
    expect(r.token_usage).toMatchObject({ input_tokens: 120, output_tokens: 30 });
  });

  it.each([
    ['api-401', 'Invalid API key · Fix external API key'],
    ['api-529', /^API Error: 529 Overloaded\. This is a server-side issue/],
    ['not-logged-in', 'Not logged in · Please run /login'],
  ] as const)('%s: the is_error result text (subtype is "success"), no usage', (name, text) => {
    const out = readFixture('claude', name);
    expect(results(out).at(-1)).toMatchObject({ subtype: 'success', is_error: true });
    const r = readAgentOutput(out);
    expect(r.error_source).toBe('result');
    if (typeof text === 'string') expect(r.error_text).toBe(text);
    else expect(r.error_text).toMatch(text);
    expect(r.token_usage).toBeUndefined();
    expect(r.model).toBe('claude-opus-5-5'); // from the init event: the model it would have used
  });

  it('killed while retrying (no result yet): the last api_retry event', () => {
    const out = readFixture('claude', 'api-401')
      .split('\n')
      .filter((l) => !/"type":"(result|assistant)"/.test(l))
      .join('\n');
    expect(readAgentOutput(out)).toMatchObject({ error_source: 'api-retry', error_text: 'API error 401 (authentication_failed), still retrying: attempt 1 of 1' });
  });

  it('error_* results: the subtype and errors[]', () => {
    const r = readAgentOutput(JSON.stringify({ type: 'result', subtype: 'error_max_turns', is_error: false, errors: ['Reached maximum number of turns (3)'], session_id: 's1' }));
    expect(r).toMatchObject({ session_id: 's1', error_source: 'result', error_text: 'error_max_turns: Reached maximum number of turns (3)' });
    const e = readAgentOutput(JSON.stringify({ type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['boom', 'again'] }));
    expect(e.error_text).toBe('boom; again');
  });

  it('the root refusal: named, with its fix', () => {
    const r = readAgentOutput(readFixture('claude', 'root-refusal'));
    expect(r.error_source).toBe('root-refusal');
    expect(r.error_text).toBe(`claude refused to run as root ("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"): ${ROOT_REFUSAL_FIX}`);
    expect(ROOT_REFUSAL_FIX).toContain('IS_SANDBOX=1');
  });

  it('a Bash wg done whose tool_result is an error is not a report', () => {
    const text = readFixture('claude', 'success').replace(/("content":"Marked 'fix-the-thing' as done","is_error":)false/, '$1true');
    expect(readAgentOutput(text).reported).toBeUndefined();
  });

  it('the evaluator envelope (--output-format json): model from modelUsage', () => {
    const out = readFixture('claude', 'evaluator-json');
    expect(JSON.parse(out).model).toBeUndefined();
    expect(parseEvaluatorOutput(out)).toMatchObject({ score: 0.8, model: 'claude-haiku-5-5' });
  });
});

describe('codex exec --json', () => {
  it('success: thread id, usage mapped to uncached input, the wg done it ran', () => {
    const text = readFixture('codex', 'success');
    const thread = jsonLines(text).find((e) => e.type === 'thread.started')!;
    expect(readAgentOutput(text)).toEqual({ session_id: thread.thread_id, token_usage: { input_tokens: 1200, output_tokens: 120, cache_read_input_tokens: 6000 }, reported: 'done' });
  });

  it('cache writes are cache_creation_input_tokens and leave input_tokens', () => {
    expect(readAgentOutput(readFixture('codex', 'usage-cache-write')).token_usage).toEqual({ input_tokens: 100, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 });
    expect(codexTokens({ input_tokens: 10, cached_input_tokens: 20 }).input_tokens).toBe(0); // never negative
  });

  it('turns are summed (codex reports each turn’s own usage)', () => {
    const line = '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":5,"reasoning_output_tokens":1}}';
    expect(readAgentOutput(`${line}\n${line}`).token_usage).toEqual({ input_tokens: 120, output_tokens: 10, cache_read_input_tokens: 80 });
  });

  it('wg not found under the login shell: no report (exit 127 is not a wg done)', () => {
    const r = readAgentOutput(readFixture('codex', 'login-shell-no-wg'));
    expect(r.reported).toBeUndefined();
    expect(r.error_text).toBeUndefined();
  });

  it.each([
    ['api-401', /^unexpected status 401 Unauthorized: Incorrect API key provided/],
    ['api-500', /^We’re currently experiencing high demand/],
    ['api-429', /^Quota exceeded\./],
    ['response-failed', /^Selected model is at capacity\./],
  ] as const)('%s: turn.failed.error.message', (name, text) => {
    const r = readAgentOutput(readFixture('codex', name));
    expect(r.error_source).toBe('turn.failed');
    expect(r.error_text).toMatch(text);
    expect(r.token_usage).toBeUndefined();
  });

  it('killed while reconnecting: the last error event', () => {
    const out = readFixture('codex', 'api-500')
      .split('\n')
      .filter((l) => !/"type":"turn.failed"/.test(l) && !/^\{"type":"error","message":"We/.test(l))
      .join('\n');
    expect(readAgentOutput(out)).toMatchObject({ error_source: 'error-event', error_text: expect.stringMatching(/^Reconnecting\.\.\. 1\/1 \(/) });
  });

  it('silent exit: no error, even with a WARNING on stderr', () => {
    // What codex 0.171 prints when CODEX_HOME is under the temp dir (captured).
    const warning = 'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp" (codex_home: AbsolutePathBuf("/tmp/x/.codex"))';
    const text = `${warning}\n${readFixture('codex', 'silent')}`;
    expect(readAgentOutput(text).error_text).toBeUndefined();
    expect(readAgentOutput(text.replace(/\{"type":"turn.completed".*\n?/, '')).error_text).toBe(warning);
  });
});

describe('stderr and the shell executor', () => {
  it('the last non-empty stderr line when the stream says nothing', () => {
    expect(readAgentOutput('{"type":"thread.started","thread_id":"t"}\nerror: something broke\n\n')).toMatchObject({ session_id: 't', error_source: 'stderr', error_text: 'error: something broke' });
    expect(readAgentOutput('WARNING: noise\nreal problem\nWARNING: more noise\n').error_text).toBe('real problem');
    expect(readAgentOutput('WARNING: only noise\n').error_text).toBe('WARNING: only noise');
  });

  it('shell output (streamJson: false): the last line, whatever it says', () => {
    expect(readAgentOutput('building\nfixed.flag missing\n', { streamJson: false })).toEqual({ error_source: 'stderr', error_text: 'fixed.flag missing' });
    expect(readAgentOutput('ok\nWARNING: deprecated flag\n', { streamJson: false }).error_text).toBe('WARNING: deprecated flag');
    expect(readAgentOutput('', { streamJson: false })).toEqual({});
  });

  it('summarizeStream keeps only session and usage', () => {
    expect(summarizeStream(readFixture('claude', 'api-401'))).toEqual({ session_id: expect.any(String) });
  });
});

describe('small parts', () => {
  it('wgReportIn finds wg done / wg fail in a command line', () => {
    expect(wgReportIn('wg done $WG_TASK_ID')).toBe('done');
    expect(wgReportIn('/bin/bash -c \'wg fail x --reason "no"\'')).toBe('fail');
    expect(wgReportIn('cd src && /tmp/p/.wg/service/bin/wg done t1')).toBe('done');
    expect(wgReportIn('wg log t1 "wg done soon"')).toBe('done'); // a heuristic: the graph is the truth
    expect(wgReportIn('wg show t1; swg done')).toBeUndefined();
    expect(wgReportIn('wg log t1 progress')).toBeUndefined();
  });

  it('usageFromModelUsage sums every model; oneLine collapses and cuts', () => {
    expect(usageFromModelUsage({ a: { inputTokens: 1, outputTokens: 2, costUSD: 0.5 }, b: { inputTokens: 3, cacheReadInputTokens: 4, costUSD: 0.25 } })).toEqual({ input_tokens: 4, output_tokens: 2, cache_read_input_tokens: 4, cache_creation_input_tokens: 0, cost_usd: 0.75 });
    expect(usageFromModelUsage({})).toBeUndefined();
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('x'.repeat(400))).toHaveLength(300);
  });
});

describe('replaying a fixture as a fake CLI (for the service tests)', () => {
  it.each([
    ['claude', 'api-529'],
    ['codex', 'api-401'],
    ['claude', 'root-refusal'],
  ] as const)('%s %s: same stdout/stderr split and exit code as captured', (cli, name) => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-replay-'));
    try {
      const bin = writeReplayCli(dir, cli, name);
      const r = spawnSync(bin, [], { input: 'the prompt', encoding: 'utf8' });
      expect(r.status).toBe(fixtureManifest(cli)[name]!.exit_code);
      const fixture = readFixture(cli, name);
      expect(readAgentOutput(`${r.stderr}${r.stdout}`)).toEqual(readAgentOutput(fixture));
      expect(r.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
