import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../src/agency/evaluations.js';
import { agentIdentity, requireName, resolveRef, roleId, shortId, tradeoffId } from '../../src/agency/identity.js';
import {
  buildRubricPrompt,
  extractJsonObject,
  parseDimensionFlag,
  parseEvaluatorOutput,
  parseScoreFlag,
  parseSourceFlag,
  rollup,
  validationSection,
} from '../../src/agency/rubric.js';
import { ExitCode } from '../../src/core/errors.js';
import { identitySection } from '../../src/service/prompt.js';
import { task, wgError } from './fixtures.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('identity hashes (SPEC §8)', () => {
  it('the agent identity is the SHA-256 of its role and tradeoff ids (the YAML the Rust tool hashes)', () => {
    const r = 'a'.repeat(64);
    const t = 'b'.repeat(64);
    expect(agentIdentity(r, t)).toBe(sha(`role_id: ${r}\nmotivation_id: ${t}\n`));
    expect(agentIdentity(r, t)).toMatch(/^[0-9a-f]{64}$/);
    expect(agentIdentity(t, r)).not.toBe(agentIdentity(r, t));
    expect(shortId(agentIdentity(r, t))).toHaveLength(8);
  });

  it('role and tradeoff ids are content hashes: skill order and whitespace do not matter, content does', () => {
    const a = roleId({ description: 'Writes code', skills: ['b', 'a'], outcome: 'tested' });
    expect(roleId({ description: ' Writes code ', skills: ['a', 'b', 'a'], outcome: 'tested' })).toBe(a);
    expect(roleId({ description: 'Writes code', skills: ['a'], outcome: 'tested' })).not.toBe(a);
    const t = tradeoffId({ description: 'careful', acceptable: ['slow'], unacceptable: ['bugs'] });
    expect(tradeoffId({ description: 'careful', acceptable: ['slow'], unacceptable: ['bugs'] })).toBe(t);
    expect(tradeoffId({ description: 'careful', acceptable: ['bugs'], unacceptable: ['slow'] })).not.toBe(t);
  });

  it('names are validated', () => {
    expect(requireName('role', 'programmer')).toBe('programmer');
    wgError(() => requireName('role', 'Bad Name'), 'invalid_argument', ExitCode.usage);
  });
});

describe('resolveRef: exact name, else unique id prefix', () => {
  const items = [
    { id: 'abc111' + '0'.repeat(58), name: 'one' },
    { id: 'abc222' + '0'.repeat(58), name: 'two' },
    { id: 'def333' + '0'.repeat(58), name: 'abc' },
  ];
  it('finds by name (before prefixes) and by a unique prefix', () => {
    expect(resolveRef('role', 'two', items, 'wg role list').name).toBe('two');
    expect(resolveRef('role', 'abc', items, 'wg role list').name).toBe('abc');
    expect(resolveRef('role', 'abc1', items, 'wg role list').name).toBe('one');
    expect(resolveRef('role', 'DEF', items, 'wg role list').name).toBe('abc');
  });
  it('an ambiguous prefix is a usage error listing the candidates; unknown is not found', () => {
    const amb = wgError(() => resolveRef('agent', 'ab', items, 'wg agent list'), 'invalid_argument', ExitCode.usage);
    expect(amb.message).toContain("ambiguous agent 'ab'");
    expect(amb.message).toContain('abc11100 one');
    expect(amb.message).not.toContain('\n');
    const unknown = wgError(() => resolveRef('tradeoff', 'ffff', items, 'wg tradeoff list'), 'not_found', ExitCode.refused);
    expect(unknown.message).toBe("unknown tradeoff 'ffff'");
    expect(unknown.hint).toContain('wg tradeoff list');
    wgError(() => resolveRef('role', '  ', items, 'wg role list'), 'invalid_argument', ExitCode.usage);
    expect(wgError(() => resolveRef('role', 'x', [], 'wg role list'), 'not_found').hint).toContain('wg agency init');
  });
});

describe('rubric prompt', () => {
  it('extracts the ## Validation section up to the next heading', () => {
    expect(validationSection('intro\n\n## Validation\n- tests pass\n- docs\n\n## Notes\nno')).toBe('- tests pass\n- docs');
    expect(validationSection('no section')).toBeUndefined();
    expect(validationSection(undefined)).toBeUndefined();
  });

  it('contains the task, its validation criteria, log, artifacts, output, identity and every dimension', () => {
    const t = task('build', {
      title: 'Build the widget',
      status: 'pending-eval',
      description: 'Make it.\n\n## Validation\n- widget renders',
      log: [{ timestamp: '2026-03-20T12:00:00.000Z', actor: 'agent-1', message: 'compiled OK' }],
      artifacts: ['src/widget.ts', 'big.bin'],
    });
    const p = buildRubricPrompt({ task: t, artifacts: [{ path: 'src/widget.ts', content: 'export const w = 1;' }, { path: 'big.bin' }], output: 'agent says done', identity: 'agent identity 12345678' });
    for (const s of ['Task build: Build the widget', '- widget renders', '[agent-1] compiled OK', 'src/widget.ts', 'export const w = 1;', 'big.bin', 'agent says done', 'agent identity 12345678', '"score"']) expect(p).toContain(s);
    for (const d of DIMENSIONS) expect(p).toContain(`- ${d}:`);
    expect(buildRubricPrompt({ task: task('x'), artifacts: [] })).toContain('(none given');
  });
});

describe('parsing the evaluator output', () => {
  const dims = Object.fromEntries(DIMENSIONS.map((d, i) => [d, (i + 1) / 10]));
  const body = { score: 0.82, dimensions: dims, notes: 'Solid work.' };

  it('reads a claude --output-format json envelope whose result holds the JSON (fenced, with prose)', () => {
    const out = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Here you go:\n```json\n' + JSON.stringify(body) + '\n```', model: 'claude-haiku' });
    const p = parseEvaluatorOutput(out);
    expect(p.score).toBe(0.82);
    expect(Object.keys(p.dimensions).sort()).toEqual([...DIMENSIONS].sort());
    expect(p.notes).toBe('Solid work.');
    expect(p.model).toBe('claude-haiku');
  });

  it('reads the bare object, an array of stream events, and text with one object in it', () => {
    expect(parseEvaluatorOutput(JSON.stringify(body)).score).toBe(0.82);
    expect(parseEvaluatorOutput(JSON.stringify([{ type: 'system' }, { type: 'result', result: JSON.stringify(body) }])).score).toBe(0.82);
    expect(parseEvaluatorOutput('verdict: {"score": "0.5", "notes": "a {brace} in a string"} end').score).toBe(0.5);
    expect(extractJsonObject('x {bad} {"a": {"b": 1}} y')).toEqual({ a: { b: 1 } });
  });

  it('drops unknown dimensions (reported) and refuses bad numbers, errors and missing JSON', () => {
    const p = parseEvaluatorOutput(JSON.stringify({ score: 1, dimensions: { correctness: 1, vibes: 0.3 } }));
    expect(p.ignored).toEqual(['vibes']);
    expect(p.dimensions).toEqual({ correctness: 1 });
    expect(() => parseEvaluatorOutput(JSON.stringify({ score: 1.2 }))).toThrow(/score/);
    expect(() => parseEvaluatorOutput(JSON.stringify({ notes: 'no score' }))).toThrow(/score/);
    expect(() => parseEvaluatorOutput(JSON.stringify({ score: 0.5, dimensions: { correctness: -1 } }))).toThrow(/correctness/);
    expect(() => parseEvaluatorOutput(JSON.stringify({ type: 'result', is_error: true, result: 'rate limited' }))).toThrow(/rate limited/);
    expect(() => parseEvaluatorOutput('I cannot judge this.')).toThrow(/no JSON object/);
  });
});

describe('flags of wg evaluate record', () => {
  it('--score is a number in 0..1', () => {
    expect(parseScoreFlag('0.85')).toBe(0.85);
    expect(parseScoreFlag('1')).toBe(1);
    expect(parseScoreFlag('0')).toBe(0);
    for (const bad of ['1.5', '-0.1', 'abc', '', 'NaN', '1e0']) wgError(() => parseScoreFlag(bad), 'invalid_argument', ExitCode.usage);
  });
  it('--dim is a known name and a value in 0..1', () => {
    expect(parseDimensionFlag('correctness=0.9')).toEqual(['correctness', 0.9]);
    expect(wgError(() => parseDimensionFlag('vibes=0.9'), 'invalid_argument', ExitCode.usage).message).toBe("unknown dimension 'vibes'");
    wgError(() => parseDimensionFlag('correctness=2'), 'invalid_argument', ExitCode.usage);
    wgError(() => parseDimensionFlag('correctness'), 'invalid_argument', ExitCode.usage);
  });
  it('--source is one of the known sources', () => {
    expect(parseSourceFlag('manual')).toBe('manual');
    expect(parseSourceFlag('outcome:ci')).toBe('outcome:ci');
    wgError(() => parseSourceFlag('gut-feeling'), 'invalid_argument', ExitCode.usage);
  });
});

describe('rollup per agent identity', () => {
  it('counts and averages the non-system evaluations of one identity', () => {
    const evals = [
      { agent_id: 'a', score: 0.8, source: 'llm' },
      { agent_id: 'a', score: 0.6, source: 'manual' },
      { agent_id: 'a', score: 0, source: 'system' },
      { agent_id: 'b', score: 0.1, source: 'llm' },
      { agent_id: null, score: 0.1, source: 'llm' },
    ];
    const r = rollup(evals, 'a');
    expect(r.count).toBe(2);
    expect(r.mean).toBeCloseTo(0.7);
    expect(rollup(evals, 'zzz')).toEqual({ count: 0, mean: undefined });
  });
});

describe('the identity in the agent prompt', () => {
  it('renders role and tradeoff text, or says the identity is unknown', () => {
    const hash = 'c'.repeat(64);
    const lines = identitySection(hash, {
      id: hash,
      agent: { id: hash, name: 'pc', role_id: 'r'.repeat(64), tradeoff_id: 't'.repeat(64) },
      role: { id: 'r'.repeat(64), name: 'programmer', description: 'Writes tested code.', skills: ['testing'], outcome: 'Working code' },
      tradeoff: { id: 't'.repeat(64), name: 'careful', description: 'Correctness over speed.', acceptable: ['slow'], unacceptable: ['bugs'] },
    }).join('\n');
    for (const s of ['cccccccc (pc)', 'Role: programmer', 'Writes tested code.', 'Skills: testing', 'Desired outcome: Working code', 'Tradeoff: careful', 'Correctness over speed.', 'Acceptable: slow', 'Unacceptable: bugs']) expect(lines).toContain(s);
    expect(identitySection(hash, undefined).join('\n')).toContain('not defined');
  });
});
