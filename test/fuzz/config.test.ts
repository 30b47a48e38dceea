/**
 * Fuzz: mutated .wg/config.toml against the built `wg` (issue 14, point 9). Keys of every table
 * set to weird values (prototype names as executors, durations out of range, wrong types),
 * tables named `__proto__`/`constructor`, keys removed, bytes mangled; then a command that
 * reads the settings (the service's tick and status above all). Every outcome is exit 0–3
 * with a one-line error; a command that fails changes no byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseFiles, TASK_IDS, WATCH } from './base.js';
import { applyText, findings, FUZZ_SEED, fuzzRuns, report, runBatch, textMutation, WEIRD_NUMBERS, WEIRD_STRINGS, type FuzzCase, type TextMutation } from './fuzz.js';

type Tables = Array<[string[], Array<[string, unknown]>]>;

const BASE: Tables = [
  [
    ['dispatcher'],
    [
      ['executor', 'shell'],
      ['max_agents', 2],
      ['poll_interval', '1s'],
      ['kill_grace', '200ms'],
      ['settling_delay', '0ms'],
      ['heartbeat_timeout', '60s'],
      ['retry_debounce', '0s'],
    ],
  ],
  [['agency'], [['auto_evaluate', false]]],
  [['executors', 'mine'], [['command', ['true', '{task_id}']]]],
];

const KEYS = ['executor', 'max_agents', 'poll_interval', 'model', 'agent_timeout', 'heartbeat_timeout', 'kill_grace', 'retry_debounce', 'settling_delay', 'max_retries', 'paused', 'auto_evaluate', 'eval_gate_threshold', 'max_eval_rescues', 'evaluator', 'evaluator_model', 'evaluator_timeout', 'command', 'env', 'prompt_on_stdin', '__proto__', 'constructor', 'toString', 'unknown_key'];
const TABLES = [['dispatcher'], ['agency'], ['executors', 'mine'], ['executors', '__proto__'], ['executors', 'constructor'], ['executors', 'toString'], ['executors', 'hasOwnProperty'], ['executors'], ['__proto__'], ['constructor'], ['coordinator'], ['unknown']];

const tomlLeaf: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(...WEIRD_STRINGS), fc.constantFrom(...WEIRD_NUMBERS), fc.boolean(), fc.string({ maxLength: 8 }));
const tomlValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: tomlLeaf },
  { weight: 2, arbitrary: fc.array(tomlLeaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('true', 'false', 'bash', '{task_id}', '{prompt_file}', '{model}', '', '/nonexistent/bin'), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'PATH', 'A', 'command'), tomlLeaf, { maxKeys: 2 }) },
);

const EXECUTORS = ['shell', 'claude', 'codex', 'mine', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'nope', '', ' shell'];
const DURATIONS = ['0s', '0ms', '1ms', '5s', '1h', '30m', '1e3s', '1e400s', '9999999999999999h', '100000000d', '-5s', '5', '5 s', '1h30m', '', 'forever'];
const ints = fc.constantFrom(0, 1, 2, -1, 1000, 1001, 2 ** 31, 2 ** 53, 1.5);

/** Keys of the schema with values of the right type but extreme content (what passes validation). */
const TYPED: Array<[string[], string, fc.Arbitrary<unknown>]> = [
  [['dispatcher'], 'executor', fc.constantFrom(...EXECUTORS)],
  [['dispatcher'], 'max_agents', ints],
  [['dispatcher'], 'max_retries', ints],
  [['dispatcher'], 'model', fc.constantFrom(...WEIRD_STRINGS)],
  [['dispatcher'], 'paused', fc.boolean()],
  ...['poll_interval', 'agent_timeout', 'heartbeat_timeout', 'kill_grace', 'retry_debounce', 'settling_delay'].map((k): [string[], string, fc.Arbitrary<unknown>] => [['dispatcher'], k, fc.constantFrom(...DURATIONS)]),
  [['agency'], 'auto_evaluate', fc.boolean()],
  [['agency'], 'eval_gate_threshold', fc.constantFrom(0, 1, 0.5, -0.1, 1.1, 1e308)],
  [['agency'], 'max_eval_rescues', ints],
  [['agency'], 'evaluator', fc.array(fc.constantFrom('true', '{task_id}', '{model}', '', '__proto__'), { maxLength: 3 })],
  [['agency'], 'evaluator_model', fc.constantFrom(...WEIRD_STRINGS)],
  [['agency'], 'evaluator_timeout', fc.constantFrom(...DURATIONS)],
  [['executors', 'mine'], 'command', fc.array(fc.constantFrom('true', 'false', 'bash', '{task_id}', '{prompt_file}', '{model}', '', '/nonexistent/bin', '__proto__'), { maxLength: 3 })],
  [['executors', 'mine'], 'prompt_on_stdin', fc.boolean()],
  [['executors', 'mine'], 'env', fc.dictionary(fc.constantFrom('A', 'PATH', 'WG_AGENT_ID', 'constructor'), fc.constantFrom('x', '', '\u0000'), { maxKeys: 2 })],
];

type ConfigMutation = { op: 'set'; table: string[]; key: string; value: unknown } | { op: 'delete'; table: number; key: number } | { op: 'text'; muts: TextMutation[] };

const typedSet: fc.Arbitrary<ConfigMutation> = fc.integer({ min: 0, max: TYPED.length - 1 }).chain((i) => {
  const [table, k, v] = TYPED[i]!;
  // A custom executor by a prototype name (or another name) is a whole table.
  return fc.record({ op: fc.constant('set' as const), table: k === 'command' || k === 'prompt_on_stdin' || k === 'env' ? fc.constantFrom(table, ['executors', 'toString'], ['executors', '__proto__'], ['executors', 'constructor']) : fc.constant(table), key: fc.constant(k), value: v });
});

const configMutation: fc.Arbitrary<ConfigMutation> = fc.oneof(
  { weight: 8, arbitrary: typedSet },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), table: fc.constantFrom(...TABLES), key: fc.constantFrom(...KEYS), value: tomlValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), table: fc.nat(), key: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('text' as const), muts: fc.array(textMutation, { minLength: 1, maxLength: 2 }) }) },
);

const key = (k: string): string => JSON.stringify(k);
function value(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? String(BigInt(v)) : String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${key(k)} = ${value(x)}`).join(', ')} }`;
  return '{}';
}

function render(tables: Tables): string {
  return tables.map(([path, entries]) => [`[${path.map(key).join('.')}]`, ...entries.map(([k, v]) => `${key(k)} = ${value(v)}`)].join('\n')).join('\n\n') + '\n';
}

function mutatedConfig(muts: ConfigMutation[]): string {
  const tables: Tables = BASE.map(([p, e]) => [p, e.map(([k, v]) => [k, v] as [string, unknown])]);
  const text: TextMutation[] = [];
  for (const m of muts) {
    if (m.op === 'text') text.push(...m.muts);
    else if (m.op === 'delete') {
      const t = tables[m.table % tables.length]!;
      if (t[1].length) t[1].splice(m.key % t[1].length, 1);
    } else {
      let t = tables.find(([p]) => p.join('\0') === m.table.join('\0'));
      if (!t) tables.push((t = [m.table, []]));
      const at = t[1].findIndex(([k]) => k === m.key);
      if (at >= 0) t[1][at] = [m.key, m.value];
      else t[1].push([m.key, m.value]);
    }
  }
  return applyText(render(tables), text);
}

const COMMANDS: string[][] = [
  ['service', 'status'],
  ['--json', 'service', 'status'],
  ['service', 'tick'],
  ['ready'],
  ['status'],
  ['retry', '{a}'],
  ['reset', '{a}', '--yes'],
  ['sweep'],
  ['agents'],
  ['agents', 'kill', 'agent-1'],
  ['kill', 'agent-2'],
  ['recover', '--yes'],
  ['add', 'New task'],
  ['done', '{a}'],
  ['claim', '--next'],
  ['service', 'pause'],
  ['requeue', '{a}', '--reason', 'r'],
];

const configCase: fc.Arbitrary<FuzzCase> = fc
  .record({ muts: fc.array(configMutation, { minLength: 1, maxLength: 3 }), cmd: fc.constantFrom(...COMMANDS), a: fc.constantFrom(...TASK_IDS) })
  .map(({ muts, cmd, a }) => {
    const config = mutatedConfig(muts);
    return { files: baseFiles({ config }), argvs: [cmd.map((x) => x.replace('{a}', a))], watch: WATCH, note: JSON.stringify(config) };
  });

describe('fuzz: mutated config.toml', () => {
  it('every command ends with exit 0–3 and a one-line error; a failed command changes no byte', async () => {
    const cases = fc.sample(configCase, { seed: FUZZ_SEED, numRuns: fuzzRuns(50) });
    const results = await runBatch(cases, { concurrency: 2, agents: 2 });
    const found = findings(cases, results);
    expect(found.length, report('config', cases, found, [])).toBe(0);
  }, 300_000);
});
