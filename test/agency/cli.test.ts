/**
 * The agency CLI against the built wg: roles, tradeoffs, identities, assign, evaluate
 * record/run/show, the task page — and every bad input as a one-line error that writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bareTempDir, project, type Project } from '../helpers/project.js';
import { isOneLineError } from '../helpers/wg.js';

const DIMS = ['correctness', 'completeness', 'efficiency', 'style_adherence', 'downstream_usability', 'coordination_overhead', 'blocking_impact', 'intent_fidelity', 'constraint_fidelity'];
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let p: Project;
beforeEach(() => {
  p = project();
});
afterEach(() => p.cleanup());

const ok = (args: string[], env?: Record<string, string | undefined>) => {
  const r = p.run(args, env);
  if (r.code !== 0) throw new Error(`wg ${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return r;
};
const evalFiles = (): string[] => {
  const d = join(p.wgDir, 'agency', 'evaluations');
  return existsSync(d) ? readdirSync(d) : [];
};
const agencySnapshot = (): string => {
  const out: string[] = [];
  for (const k of ['roles', 'tradeoffs', 'agents', 'evaluations']) {
    const d = join(p.wgDir, 'agency', k);
    if (existsSync(d)) for (const f of readdirSync(d).sort()) out.push(`${k}/${f}:${readFileSync(join(d, f), 'utf8')}`);
  }
  return out.join('\n');
};
/** Runs a command that must fail with `code`, one error line, and no change to graph or agency files. */
const refused = (args: string[], code: number, message: RegExp, env?: Record<string, string | undefined>) => {
  const graphBefore = p.readGraph();
  const agencyBefore = agencySnapshot();
  const r = p.run(args, env);
  expect(r.code, r.stderr).toBe(code);
  expect(isOneLineError(r.stderr), r.stderr).toBe(true);
  expect(r.stderr).toMatch(message);
  expect(p.readGraph()).toBe(graphBefore);
  expect(agencySnapshot()).toBe(agencyBefore);
  return r;
};

function setupAgent(): { agent: string; role: string; tradeoff: string } {
  ok(['agency', 'init']);
  const a = ok(['agent', 'create', '--role', 'programmer', '--tradeoff', 'careful', '--json']).json<{ agent: { id: string; role_id: string; tradeoff_id: string } }>().agent;
  return { agent: a.id, role: a.role_id, tradeoff: a.tradeoff_id };
}

describe('roles, tradeoffs, agent identities', () => {
  it('agency init creates a starter set once; list/show by name or prefix', () => {
    const first = ok(['agency', 'init', '--json']).json<{ roles: Array<{ name: string; created: boolean }>; tradeoffs: Array<{ created: boolean }> }>();
    expect(first.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['programmer', 'reviewer']));
    expect(first.roles.every((r) => r.created) && first.tradeoffs.every((t) => t.created)).toBe(true);
    const before = agencySnapshot();
    expect(ok(['agency', 'init']).stdout).toContain('already initialized');
    expect(agencySnapshot()).toBe(before);

    const roles = ok(['role', 'list', '--json']).json<Array<{ id: string; name: string }>>();
    const prog = roles.find((r) => r.name === 'programmer')!;
    expect(readFileSync(join(p.wgDir, 'agency', 'roles', `${prog.id}.json`), 'utf8')).toContain('"programmer"');
    expect(ok(['role', 'show', prog.id.slice(0, 6)]).stdout).toContain('Role programmer');
    expect(ok(['tradeoff', 'show', 'careful']).stdout).toContain('Tradeoff careful');
    expect(ok(['role', 'list']).stdout).toMatch(/programmer/);
  });

  it('role add / tradeoff add: content-addressed, names unique, bad input refused', () => {
    const r = ok(['role', 'add', 'tester', '-d', 'Writes tests', '--skill', 'b', '--skill', 'a', '--json']).json<{ role: { id: string; skills: string[] }; created: boolean }>();
    expect(r.created).toBe(true);
    expect(r.role.id).toMatch(/^[0-9a-f]{64}$/);
    // Same content again: found, not duplicated.
    expect(ok(['role', 'add', 'tester', '-d', 'Writes tests', '--skill', 'a', '--skill', 'b']).stdout).toContain('already exists');
    refused(['role', 'add', 'tester', '-d', 'Something else'], 1, /role name 'tester' is already used/);
    refused(['role', 'add', 'Bad Name', '-d', 'x'], 2, /invalid role name/);
    refused(['role', 'add', 'empty', '-d', '  '], 2, /empty role description/);
    refused(['role', 'add', 'nodesc'], 2, /description/);
    const t = ok(['tradeoff', 'add', 'quick', '-d', 'Speed first', '--acceptable', 'rough edges', '--unacceptable', 'data loss', '--json']).json<{ tradeoff: { id: string; acceptable: string[] } }>();
    expect(t.tradeoff.acceptable).toEqual(['rough edges']);
    expect(ok(['tradeoff', 'add', 'quick', '-d', 'Speed first', '--acceptable', 'rough edges', '--unacceptable', 'data loss']).stdout).toContain('already exists');
    refused(['tradeoff', 'add', 'quick', '-d', 'Something else'], 1, /tradeoff name 'quick' is already used by tradeoff [0-9a-f]{8}/);
    refused(['role', 'show', 'nope'], 1, /unknown role 'nope'/);
    refused(['tradeoff', 'show', 'ffffffffff'], 1, /unknown tradeoff 'ffffffffff'/);
  });

  it('agent create: identity = SHA-256 of role and tradeoff ids, shown by 8-char prefix, accepted by unique prefix', () => {
    const { agent, role, tradeoff } = setupAgent();
    expect(agent).toBe(sha(`role_id: ${role}\nmotivation_id: ${tradeoff}\n`));
    expect(existsSync(join(p.wgDir, 'agency', 'agents', `${agent}.json`))).toBe(true);
    expect(ok(['agent', 'create', '--role', role.slice(0, 10), '--tradeoff', 'careful']).stdout).toContain(`Agent ${agent.slice(0, 8)}`);
    expect(ok(['agent', 'list']).stdout).toContain(agent.slice(0, 8));
    expect(ok(['agent', 'show', agent.slice(0, 5)]).stdout).toContain(`Agent ${agent.slice(0, 8)}`);
    refused(['agent', 'create', '--role', 'nope', '--tradeoff', 'careful'], 1, /unknown role 'nope'/);
    refused(['agent', 'create', '--role', 'programmer', '--tradeoff', 'nope'], 1, /unknown tradeoff 'nope'/);
    refused(['agent', 'create', '--role', 'programmer'], 2, /tradeoff/);
    // A name labels one identity: another identity may not take it.
    ok(['agent', 'create', 'ada', '--role', 'reviewer', '--tradeoff', 'careful']);
    refused(['agent', 'create', 'ada', '--role', 'architect', '--tradeoff', 'fast'], 1, /agent name 'ada' is already used by agent [0-9a-f]{8}/);
  });

  it('an ambiguous prefix is refused with exit 2, naming the candidates', () => {
    ok(['agency', 'init']);
    for (const r of ['programmer', 'reviewer', 'documenter', 'architect']) for (const t of ['careful', 'fast', 'thorough']) ok(['agent', 'create', '--role', r, '--tradeoff', t]);
    const ids = ok(['agent', 'list', '--json']).json<Array<{ id: string }>>().map((a) => a.id);
    expect(ids).toHaveLength(12);
    const shared = [...'0123456789abcdef'].find((c) => ids.filter((id) => id.startsWith(c)).length >= 2)!;
    expect(shared).toBeDefined();
    ok(['add', 'Task one', '--id', 'one']);
    refused(['assign', 'one', shared], 2, new RegExp(`ambiguous agent '${shared}'`));
    refused(['agent', 'show', shared], 2, /ambiguous agent/);
  });
});

describe('wg assign', () => {
  it('sets task.agent (full hash), shown on the task page; unknown agent or task refused', () => {
    const { agent } = setupAgent();
    ok(['add', 'Build it', '--id', 'build']);
    expect(ok(['assign', 'build', agent.slice(0, 8)]).stdout).toContain(`Assigned agent ${agent.slice(0, 8)} (programmer / careful)`);
    const t = ok(['show', 'build', '--json']).json<{ agent: string }>();
    expect(t.agent).toBe(agent);
    expect(ok(['show', 'build']).stdout).toMatch(new RegExp(`Agent identity\\s+${agent}`));
    expect(ok(['assign', 'build', agent]).stdout).toContain('already has');
    refused(['assign', 'build', 'ffffffff'], 1, /unknown agent 'ffffffff'/);
    refused(['assign', 'nope', agent], 1, /task 'nope' not found/);
    refused(['assign', 'build'], 2, /missing agent/);
    refused(['assign', 'build', agent, '--clear'], 2, /not both/);
    ok(['assign', 'build', '--clear']);
    expect(ok(['show', 'build', '--json']).json<{ agent?: string }>().agent).toBeUndefined();
  });
});

describe('wg evaluate record / show and the task page', () => {
  it('bad input: one-line errors, exit 2 (usage) or 1 (refused), nothing written', () => {
    ok(['add', 'Build it', '--id', 'build']);
    refused(['evaluate', 'record', 'build', '--score', '1.5'], 2, /invalid score '1.5'/);
    refused(['evaluate', 'record', 'build', '--score', '-0.2'], 2, /invalid score/);
    refused(['evaluate', 'record', 'build', '--score', 'high'], 2, /invalid score/);
    refused(['evaluate', 'record', 'build', '--score', '0.5', '--dim', 'vibes=0.5'], 2, /unknown dimension 'vibes'/);
    refused(['evaluate', 'record', 'build', '--score', '0.5', '--dim', 'correctness=3'], 2, /invalid value for dimension correctness/);
    refused(['evaluate', 'record', 'build', '--score', '0.5', '--dim', 'correctness=0.5', '--dim', 'correctness=0.6'], 2, /given twice/);
    refused(['evaluate', 'record', 'build', '--score', '0.5', '--source', 'vibes'], 2, /unknown evaluation source/);
    refused(['evaluate', 'record', 'build'], 2, /score/);
    refused(['evaluate', 'record', 'nope', '--score', '0.5'], 1, /task 'nope' not found/);
    expect(evalFiles()).toEqual([]);
  });

  it('records one JSON file per evaluation; show renders every metadata row; --json has evaluation; agent show rolls up', () => {
    const { agent, role, tradeoff } = setupAgent();
    ok(['add', 'Build it', '--id', 'build', '--tag', 'backend', '--model', 'claude:opus']);
    ok(['assign', 'build', agent.slice(0, 8)]);
    ok(['claim', 'build']);
    ok(['done', 'build']);
    const dims = DIMS.flatMap((d, i) => ['--dim', `${d}=${(0.5 + i / 20).toFixed(2)}`]);
    const rec = ok(['evaluate', 'record', 'build', '--score', '0.8', ...dims, '--notes', 'Good', '--json']).json<{ evaluation: Record<string, unknown>; file: string }>();
    expect(rec.evaluation).toMatchObject({ task_id: 'build', agent_id: agent, role_id: role, tradeoff_id: tradeoff, score: 0.8, notes: 'Good', source: 'manual', evaluator: 'tester' });
    expect(evalFiles()).toEqual([`${rec.evaluation.id as string}.json`]);
    expect(evalFiles()[0]).not.toContain(':');
    // A second, later evaluation is the one shown.
    ok(['evaluate', 'record', 'build', '--score', '0.9', ...dims]);
    expect(evalFiles()).toHaveLength(2);

    const page = ok(['show', 'build']).stdout;
    for (const row of [/^Status\s+done$/m, /^Assigned\s+tester \(epoch 1\)$/m, new RegExp(`^Agent identity\\s+${agent}$`, 'm'), /^Model\s+claude:opus$/m, /^Created\s+\S+Z$/m, /^Started\s+\S+Z$/m, /^Completed\s+\S+Z$/m, /^Tags\s+backend$/m, /^Eval score\s+0\.90$/m]) expect(page).toMatch(row);
    const dimRows = page.split('\n').filter((l) => l.startsWith('└ '));
    expect(dimRows).toHaveLength(9);
    expect(dimRows.map((l) => l.replace(/\s+\d\.\d\d$/, '').slice(2))).toEqual([...DIMS].sort().map((d) => d.replace(/_/g, ' ')));
    expect(page).toMatch(/^└ correctness\s+0\.50$/m);

    const json = ok(['show', 'build', '--json']).json<{ evaluation: { score: number; dimensions: Record<string, number> } }>();
    expect(json.evaluation.score).toBe(0.9);
    expect(Object.keys(json.evaluation.dimensions)).toHaveLength(9);
    ok(['add', 'Other', '--id', 'other']);
    expect(ok(['show', 'other', '--json']).json<{ evaluation: unknown }>().evaluation).toBeNull();
    expect(ok(['show', 'other']).stdout).not.toContain('Eval score');

    const shown = ok(['agent', 'show', agent.slice(0, 8), '--json']).json<{ evaluations: number; mean_score: number; tasks: Array<{ id: string }> }>();
    expect(shown.evaluations).toBe(2);
    expect(shown.mean_score).toBeCloseTo(0.85);
    expect(shown.tasks.map((t) => t.id)).toEqual(['build']);
    expect(ok(['agent', 'show', agent.slice(0, 8)]).stdout).toMatch(/mean score\s+0\.85/);
    expect(ok(['agent', 'list']).stdout).toMatch(/2\s+0\.85/);

    const ev = ok(['evaluate', 'show', 'build', '--json']).json<Array<{ score: number }>>();
    expect(ev.map((e) => e.score)).toEqual([0.9, 0.8]);
    expect(ok(['evaluate', 'show', 'build']).stdout).toContain('Latest:');
    expect(ok(['evaluate', 'show', 'other']).stdout).toContain("No evaluations for 'other'");
  });

  it('the task page of an evaluated task shows every row from a fresh git clone', () => {
    const { agent } = setupAgent();
    ok(['add', 'Build it', '--id', 'build', '--tag', 'backend', '--model', 'claude:opus']);
    ok(['assign', 'build', agent]);
    ok(['claim', 'build']);
    ok(['done', 'build']);
    ok(['evaluate', 'record', 'build', '--score', '0.75', ...DIMS.flatMap((d) => ['--dim', `${d}=0.7`])]);
    const origin = p.readGraph();
    const git = (cwd: string, args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    };
    git(p.dir, ['init', '-q']);
    git(p.dir, ['add', '-A']);
    git(p.dir, ['commit', '-q', '-m', 'graph']);
    const clone = bareTempDir();
    try {
      git(clone.dir, ['clone', '-q', p.dir, 'c']);
      const c = join(clone.dir, 'c');
      expect(readFileSync(join(c, '.wg', 'graph.jsonl'), 'utf8')).toBe(origin);
      const r = spawnSync(process.execPath, [join(__dirname, '../../dist/wg.mjs'), 'show', 'build'], { cwd: c, encoding: 'utf8', env: { ...process.env, WG_DIR: '' } });
      expect(r.status, r.stderr).toBe(0);
      for (const k of ['Status', 'Assigned', 'Agent identity', 'Model', 'Created', 'Started', 'Completed', 'Tags', 'Eval score']) expect(r.stdout).toMatch(new RegExp(`^${k}\\s+\\S`, 'm'));
      expect(r.stdout.split('\n').filter((l) => /^└ \w/.test(l))).toHaveLength(9);
    } finally {
      clone.cleanup();
    }
  });
});

describe('wg evaluate run', () => {
  const body = { score: 0.66, dimensions: Object.fromEntries(DIMS.map((d) => [d, 0.6])), notes: 'Fine.' };
  function fake(name: string, script: string): string {
    const bin = join(p.dir, 'fakebin');
    mkdirSync(bin, { recursive: true });
    const f = join(bin, name);
    writeFileSync(f, `#!/bin/bash\n${script}`, { mode: 0o755 });
    return bin;
  }
  const finished = (): void => {
    ok(['add', 'Build it', '--id', 'build', '-d', 'Make the widget.\n\n## Validation\n- the widget renders']);
    ok(['log', 'build', 'built the widget']);
    ok(['claim', 'build']);
    ok(['done', 'build']);
  };

  it('by default runs `claude --print --output-format json` with the rubric prompt on stdin and parses its result', () => {
    finished();
    const out = join(p.dir, 'seen');
    const bin = fake('claude', `echo "$@" > ${out}.argv\ncat > ${out}.stdin\necho '${JSON.stringify({ type: 'result', is_error: false, result: 'Sure:\n' + JSON.stringify(body), model: 'claude-haiku-x' })}'\n`);
    const r = ok(['evaluate', 'run', 'build', '--json'], { PATH: `${bin}:/usr/bin:/bin` });
    const e = r.json<{ evaluation: Record<string, unknown> }>().evaluation;
    expect(e).toMatchObject({ score: 0.66, source: 'llm', evaluator: 'claude', model: 'claude-haiku-x', notes: 'Fine.' });
    expect(readFileSync(`${out}.argv`, 'utf8').trim()).toBe('--print --output-format json --model haiku');
    const prompt = readFileSync(`${out}.stdin`, 'utf8');
    for (const s of ['Task build: Build it', '- the widget renders', 'built the widget', 'correctness']) expect(prompt).toContain(s);
    expect(ok(['show', 'build']).stdout).toMatch(/^Eval score\s+0\.66$/m);
  });

  it('runs the configured [agency] evaluator command ({task_id} placeholder), which prints the JSON', () => {
    finished();
    const bin = fake('my-eval', `cat > /dev/null\n[ "$1" = build ] || exit 9\necho '${JSON.stringify(body)}'\n`);
    writeFileSync(join(p.wgDir, 'config.toml'), `[agency]\nevaluator = ["${bin}/my-eval", "{task_id}"]\n`);
    const e = ok(['evaluate', 'run', 'build', '--json']).json<{ evaluation: Record<string, unknown> }>().evaluation;
    expect(e).toMatchObject({ score: 0.66, evaluator: 'my-eval', source: 'llm' });
  });

  it('refuses unfinished work, a missing or failing evaluator, and unusable output — nothing written', () => {
    ok(['add', 'Build it', '--id', 'build']);
    refused(['evaluate', 'run', 'build'], 1, /task 'build' is open: there is no finished work to evaluate yet/);
    ok(['claim', 'build']);
    ok(['done', 'build']);
    refused(['evaluate', 'run', 'build'], 1, /evaluator 'claude' is not on PATH/, { PATH: '/usr/bin:/bin' });
    const bin = fake('claude', 'cat > /dev/null\necho "boom: quota" >&2\nexit 3\n');
    refused(['evaluate', 'run', 'build'], 1, /evaluator 'claude' exited with code 3: boom: quota/, { PATH: `${bin}:/usr/bin:/bin` });
    fake('claude', 'cat > /dev/null\necho "I refuse to answer in JSON"\n');
    refused(['evaluate', 'run', 'build'], 1, /gave no usable evaluation after 3 attempts/, { PATH: `${bin}:/usr/bin:/bin` });
    fake('claude', `cat > /dev/null\necho '{"score": 7}'\n`);
    refused(['evaluate', 'run', 'build'], 1, /not a number in 0\.\.1/, { PATH: `${bin}:/usr/bin:/bin` });
    expect(evalFiles()).toEqual([]);
    expect(ok(['evaluate', 'run', 'build', '--print-prompt']).stdout).toContain('Task build: Build it');
  });
});
