/**
 * The evaluation pipeline end to end under the real service (executor shell, auto_evaluate on,
 * a fake evaluator on PATH): scaffolding, pending-eval, the `.evaluate-X` run, promotion, the
 * task page, the per-identity rollup, the identity in the agent prompt, and the eval gate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { waitFor } from '../helpers/proc.js';

const DIMS = ['correctness', 'completeness', 'efficiency', 'style_adherence', 'downstream_usability', 'coordination_overhead', 'blocking_impact', 'intent_fidelity', 'constraint_fidelity'];
const evaluation = (score: number) => ({ score, dimensions: Object.fromEntries(DIMS.map((d, i) => [d, Number((0.5 + i / 20).toFixed(2))])), notes: `Scored ${score}: tests are thin.` });

let sp: ServiceProject | undefined;
afterEach(async () => {
  await sp?.cleanup();
  sp = undefined;
});

describe('evaluation pipeline under the service', () => {
  it('wg done X → pending-eval → the service runs .evaluate-X with the claude evaluator → X done, page and rollup', async () => {
    sp = serviceProject({ extraToml: '[agency]\nauto_evaluate = true\n' });
    const s = sp;
    const envelope = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: '```json\n' + JSON.stringify(evaluation(0.82)) + '\n```', model: 'claude-haiku-fake' });
    // The evaluator takes a moment, so pending-eval is observable.
    s.script(join(s.binDir, 'claude'), `cat > ${s.w('evaluator-stdin')}\nsleep 1\necho '${envelope}'\n`);
    s.ok(['agency', 'init']);
    const agent = s.ok(['agent', 'create', '--role', 'programmer', '--tradeoff', 'careful', '--json']).json<{ agent: { id: string } }>().agent.id;
    s.ok(['add', 'Build the widget', '--id', 'x', '--tag', 'backend', '--model', 'claude:opus', '-d', 'Make it.\n\n## Validation\n- it renders']);
    s.ok(['add', 'Use the widget', '--id', 'y', '--after', 'x', '--exec', `touch ${s.w('y-ran')}`, '--tag', 'skip-eval']);
    s.ok(['assign', 'x', agent.slice(0, 8)]);
    // A shell task with the same identity: its prompt carries the role and tradeoff.
    s.ok(['add', 'Shell job', '--id', 'z', '--exec', 'true', '--tag', 'skip-eval']);
    s.ok(['assign', 'z', agent.slice(0, 8)]);
    s.start();

    await waitFor('.evaluate-x scaffolded', () => s.tasks().find((t) => t.id === '.evaluate-x'));
    const ev = s.task('.evaluate-x');
    expect(ev).toMatchObject({ status: 'open', after: ['x'], exec: 'wg evaluate run x', tags: ['evaluation', 'agency'] });
    expect(s.tasks().some((t) => t.id === '.evaluate-y' || t.id === '.evaluate-z')).toBe(false);

    await s.waitStatus('z', 'done');
    const zAgent = s.agentsOf('z')[0]!;
    const prompt = readFileSync(join(s.wgDir, 'agents', zAgent.id, 'prompt.txt'), 'utf8');
    for (const t of ['## Your identity', agent.slice(0, 8), 'Role: programmer', 'Tradeoff: careful', 'Correctness over speed']) expect(prompt).toContain(t);

    s.ok(['claim', 'x']);
    const done = s.ok(['done', 'x']);
    expect(done.stdout).toContain("Marked 'x' as pending-eval (awaiting .evaluate-x)");
    expect(s.task('x').status).toBe('pending-eval');
    // The dependent waits for the evaluation.
    expect(s.ok(['ready', '--json']).json<Array<{ id: string }>>().map((r) => r.id)).not.toContain('y');

    await s.waitStatus('x', 'done', 20_000);
    expect(s.task('.evaluate-x').status).toBe('done');
    expect(s.agentsOf('.evaluate-x')[0]!.executor).toBe('shell');
    expect(readFileSync(s.w('evaluator-stdin'), 'utf8')).toContain('- it renders');
    await s.waitStatus('y', 'done', 20_000);

    const page = s.ok(['show', 'x']).stdout;
    for (const row of [/^Status\s+done$/m, /^Assigned\s+tester/m, new RegExp(`^Agent identity\\s+${agent}$`, 'm'), /^Model\s+claude:opus$/m, /^Created\s+\S/m, /^Started\s+\S/m, /^Completed\s+\S/m, /^Tags\s+backend$/m, /^Eval score\s+0\.82$/m]) expect(page).toMatch(row);
    const dimRows = page.split('\n').filter((l) => l.startsWith('└ '));
    expect(dimRows.map((l) => l.replace(/\s+\d\.\d\d$/, '').slice(2))).toEqual([...DIMS].sort().map((d) => d.replace(/_/g, ' ')));
    expect((s.task('x').log as Array<{ message: string }>).at(-1)!.message).toBe('Evaluation finished (score 0.82): marked done');

    const shown = s.ok(['agent', 'show', agent.slice(0, 8), '--json']).json<{ evaluations: number; mean_score: number }>();
    expect(shown).toMatchObject({ evaluations: 1, mean_score: 0.82 });
    expect(s.ok(['evaluate', 'show', 'x', '--json']).json<Array<{ model: string; source: string }>>()[0]).toMatchObject({ model: 'claude-haiku-fake', source: 'llm' });
    expect(s.events('eval:resolved').length).toBeGreaterThan(0);
  });

  it('eval gate: a low score re-opens an eval-gate task (feedback in the next prompt), then fails it after max_eval_rescues', async () => {
    sp = serviceProject();
    const s = sp;
    const evaluator = s.script(join(s.binDir, 'low-eval'), `cat > /dev/null\necho '${JSON.stringify(evaluation(0.3))}'\n`);
    writeFileSync(join(s.wgDir, 'config.toml'), readFileSync(join(s.wgDir, 'config.toml'), 'utf8') + `\n[agency]\nauto_evaluate = true\neval_gate_threshold = 0.7\nmax_eval_rescues = 1\nevaluator = ["${evaluator}"]\n`);
    s.ok(['add', 'Gated work', '--id', 'g', '--exec', `echo run >> ${s.w('g-runs')}`, '--tag', 'eval-gate']);
    s.ok(['add', 'Ungated work', '--id', 'u', '--exec', 'true']);
    s.start();

    const failed = await s.waitStatus('g', 'failed', 30_000);
    // No failure class (none of the Rust tool's six fits); the reason says why.
    expect(failed).toMatchObject({ rescue_count: 1, failure_reason: expect.stringMatching(/^evaluation scored 0\.30, below eval_gate_threshold 0\.70/) });
    expect(failed.failure_class).toBeUndefined();
    expect(readFileSync(s.w('g-runs'), 'utf8').trim().split('\n')).toHaveLength(2);
    const messages = (failed.log as Array<{ message: string }>).map((e) => e.message);
    expect(messages.some((m) => m.startsWith('Evaluation scored 0.30, below eval_gate_threshold 0.70: re-opened for another attempt (rescue 1/1)'))).toBe(true);
    expect(messages.some((m) => m.includes('max_eval_rescues (1) is used up: failed'))).toBe(true);
    const agents = s.agentsOf('g');
    expect(agents).toHaveLength(2);
    const second = readFileSync(join(s.wgDir, 'agents', agents[1]!.id, 'prompt.txt'), 'utf8');
    expect(second).toContain('## Evaluator feedback on the previous attempt');
    expect(second).toContain('tests are thin');
    expect(s.ok(['evaluate', 'show', 'g', '--json']).json<unknown[]>()).toHaveLength(2);
    // Without the tag, the same low score does not hold the task back.
    await s.waitStatus('u', 'done', 20_000);
    expect(s.task('.evaluate-u').status).toBe('done');
  });
});
