/**
 * `wg trace show|export`, `wg spend`, and today's spend in `wg status`, on the built `wg`: a
 * task run twice by the real service (a failing then a passing shell agent), and a registry with
 * the usage agents reported (as the exits step records it) for the totals.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRegistry } from '../helpers/files.js';
import { serviceHarness } from '../helpers/daemon.js';
import { project, type Project } from '../helpers/project.js';

const svc = serviceHarness();

const today = new Date().toISOString().slice(0, 10);
const at = (h: number): string => `${today}T${String(h).padStart(2, '0')}:00:00.000Z`;

function seedUsage(pr: Project): void {
  pr.add('a');
  pr.add('b');
  writeRegistry(pr.wgDir, [
    { id: 'agent-1', task_id: 'a', status: 'failed', model: 'opus', started_at: at(0), completed_at: at(0), exit_code: 1, exit_reason: 'exit code 1', token_usage: { input_tokens: 1000, output_tokens: 200, cost_usd: 0.5 } },
    { id: 'agent-2', task_id: 'a', status: 'done', model: 'opus', started_at: at(0), completed_at: at(0), exit_code: 0, token_usage: { input_tokens: 3000, output_tokens: 100, cost_usd: 1.25 } },
    { id: 'agent-3', task_id: 'b', status: 'done', model: 'haiku', started_at: '2026-01-02T10:00:00Z', completed_at: '2026-01-02T10:05:00Z', exit_code: 0, token_usage: { input_tokens: 10, output_tokens: 5, cost_usd: 0.01 } },
  ]);
}

describe('wg trace', () => {
  it('shows every attempt the service made: agent, executor, start/end, exit, failure reason, log, output tail; export is JSON', async () => {
    const p = svc.project({ dispatcher: { max_retries: 3 } });
    const s = await svc.start(p);
    const marker = p.w('second');
    // first run fails (exit 3), `wg retry` runs it again and it passes
    p.ok(['add', 'Flaky', '--id', 'flaky', '--exec', `if [ -f ${marker} ]; then echo second run ok; exit 0; fi; touch ${marker}; echo first run broke >&2; exit 3`]);
    await s.next('agent:exited', { task: 'flaky' });
    expect(p.task('flaky').status).toBe('failed');
    p.ok(['retry', 'flaky']);
    await s.next('agent:exited', { task: 'flaky', code: 0 });
    const t = p.ok(['trace', 'export', 'flaky']).json<{ attempts: Array<Record<string, unknown>>; task: Record<string, unknown> }>();
    expect(t.task).toMatchObject({ id: 'flaky', status: 'done' });
    expect(t.attempts).toHaveLength(2);
    const [a1, a2] = t.attempts as [Record<string, unknown>, Record<string, unknown>];
    expect(a1).toMatchObject({ n: 1, via: 'service', executor: 'shell', outcome: 'failed', exit_code: 3 });
    expect(String(a1.failure_reason)).toMatch(/exit|code 3/);
    expect(a1.output_tail).toContain('first run broke');
    expect(typeof a1.duration_ms).toBe('number');
    expect(a2).toMatchObject({ n: 2, outcome: 'done', exit_code: 0, failure_reason: null });
    expect(a2.output_tail).toContain('second run ok');
    const human = p.ok(['trace', 'show', 'flaky']).stdout;
    expect(human).toMatch(/Attempt 1: agent-\d+ — failed/);
    expect(human).toMatch(/Attempt 2: agent-\d+ — done/);
    expect(human).toContain('| first run broke');
    expect(human).toMatch(/2 attempt\(s\); no token usage recorded/);
  });

  it('counts claims by people as attempts, with the reason they ended; unknown id is refused', () => {
    const p = svc.track(project());
    p.add('x');
    p.ok(['claim', 'x', '--actor', 'alice']);
    p.ok(['fail', 'x', '--reason', 'flaky network']);
    p.ok(['retry', 'x']);
    p.ok(['claim', 'x', '--actor', 'bob']);
    p.ok(['log', 'x', 'bob was here']);
    const t = p.ok(['trace', 'show', 'x', '--json']).json<{ attempts: Array<{ agent: string; outcome: string; failure_reason: string | null; log: Array<{ message: string }> }> }>();
    expect(t.attempts.map((a) => [a.agent, a.outcome, a.failure_reason])).toEqual([
      ['alice', 'failed', 'flaky network'],
      ['bob', 'running', null],
    ]);
    expect(t.attempts[1]!.log.map((l) => l.message)).toContain('bob was here');
    const bad = p.run(['trace', 'show', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: task 'nope' not found/);
  });

  it('reports tokens and cost per attempt from the registry', () => {
    const p = svc.track(project());
    seedUsage(p);
    mkdirSync(join(p.wgDir, 'agents', 'agent-1'), { recursive: true });
    writeFileSync(join(p.wgDir, 'agents', 'agent-1', 'output.log'), 'line one\nline two\n');
    const t = p.ok(['trace', 'export', 'a']).json<{ attempts: Array<{ tokens: Record<string, number>; cost_usd: number; model: string; output_tail: string[] }>; totals: Record<string, number> }>();
    expect(t.attempts.map((a) => [a.model, a.tokens.input_tokens, a.cost_usd])).toEqual([
      ['opus', 1000, 0.5],
      ['opus', 3000, 1.25],
    ]);
    expect(t.attempts[0]!.output_tail).toEqual(['line one', 'line two']);
    expect(t.totals).toEqual({ input_tokens: 4000, output_tokens: 300, cost_usd: 1.75 });
  });
});

describe('wg spend', () => {
  it('totals by task, agent, model and day; --since filters; status shows today', () => {
    const p = svc.track(project());
    seedUsage(p);
    const byTask = p.ok(['spend', '--json']).json<{ rows: Array<{ key: string; attempts: number; input_tokens: number; cost_usd: number }>; total: { cost_usd: number; input_tokens: number } }>();
    expect(byTask.rows.map((r) => [r.key, r.attempts, r.input_tokens, r.cost_usd])).toEqual([
      ['a', 2, 4000, 1.75],
      ['b', 1, 10, 0.01],
    ]);
    expect(byTask.total).toMatchObject({ input_tokens: 4010, cost_usd: 1.76 });
    expect(p.ok(['spend', '--by', 'model', '--json']).json<{ rows: Array<{ key: string }> }>().rows.map((r) => r.key)).toEqual(['opus', 'haiku']);
    expect(p.ok(['spend', '--by', 'agent', '--json']).json<{ rows: Array<{ key: string }> }>().rows.map((r) => r.key)).toEqual(['agent-2', 'agent-1', 'agent-3']);
    expect(p.ok(['spend', '--by', 'day', '--json']).json<{ rows: Array<{ key: string }> }>().rows.map((r) => r.key)).toEqual(['2026-01-02', today]);
    const sinceToday = p.ok(['spend', '--since', 'today', '--json']).json<{ total: { cost_usd: number; attempts: number } }>();
    expect(sinceToday.total).toMatchObject({ attempts: 2, cost_usd: 1.75 });
    const human = p.ok(['spend', '--by', 'model']).stdout;
    expect(human).toMatch(/MODEL\s+ATTEMPTS\s+INPUT\s+OUTPUT\s+CACHE READ\s+COST/);
    expect(human).toMatch(/opus\s+2\s+4,000\s+300\s+0\s+\$1\.7500/);
    expect(human).toMatch(/total\s+3\s+4,010/);
    const st = p.ok(['status']).stdout;
    expect(st).toMatch(/Spend today: \$1\.75, 4,300 tokens \(2 attempt\(s\); wg spend\)/);
    expect(p.ok(['status', '--json']).json<{ spend_today: { cost_usd: number } }>().spend_today.cost_usd).toBe(1.75);
  });

  it('counts usage recorded on a task without an agent record once, and refuses a bad --by', () => {
    const p = svc.track(project());
    p.seed([{ id: 'old', title: 'Old', status: 'done', completed_at: '2026-02-01T00:00:00Z', assigned: 'someone', model: 'sonnet', token_usage: { input_tokens: 7, output_tokens: 3, cost_usd: 0.02 } }]);
    const r = p.ok(['spend', '--by', 'model', '--json']).json<{ rows: Array<{ key: string; input_tokens: number }> }>();
    expect(r.rows).toEqual([expect.objectContaining({ key: 'sonnet', input_tokens: 7 })]);
    const bad = p.run(['spend', '--by', 'color']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: invalid --by 'color'/);
    expect(p.ok(['spend', '--since', '1h']).stdout).toMatch(/No token usage recorded since/);
  });
});
