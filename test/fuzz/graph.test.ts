/**
 * Fuzz: mutated graph.jsonl lines against the built `wg` (issue 14, point 9). Each case mutates
 * one to three lines of a valid graph (a field set to a weird value or removed, a prototype
 * name as a key, very deep nesting, bytes deleted, inserted or duplicated) and runs one
 * command: every outcome is exit 0–3 with a one-line error, and a command that fails leaves
 * the files byte-for-byte as they were.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE_TASKS, BASE_OTHER_LINES, baseFiles, TASK_IDS, WATCH } from './base.js';
import { applyText, findings, FUZZ_SEED, fuzzRuns, jsonValue, report, runBatch, setKey, stringifyWithKeys, textMutation, WEIRD_STRINGS, type FuzzCase, type TextMutation } from './fuzz.js';

const FIELDS = ['id', 'title', 'description', 'status', 'priority', 'assigned', 'after', 'before', 'tags', 'artifacts', 'deliverables', 'exec', 'exec_mode', 'model', 'agent', 'timeout', 'not_before', 'ready_after', 'created_at', 'started_at', 'completed_at', 'log', 'retry_count', 'max_retries', 'failure_reason', 'failure_class', 'paused', 'cycle_config', 'loop_iteration', 'token_usage', 'dispatch_count', 'visibility', 'claim_epoch', 'kind', 'blocked_by', 'blocks', '__proto__', 'constructor', 'toString', 'x-unknown'];

/** Commands with `{a}`/`{b}` for task ids. */
const COMMANDS: string[][] = [
  ['list'],
  ['list', '--all'],
  ['--json', 'list'],
  ['show', '{a}'],
  ['--json', 'show', '{a}'],
  ['ready'],
  ['--json', 'ready'],
  ['status'],
  ['why-blocked', '{a}'],
  ['blocked', '{a}'],
  ['check'],
  ['viz', '--all'],
  ['html', '--out', 'site'],
  ['log', '{a}'],
  ['add', 'A new task', '--after', '{a}'],
  ['edit', '{a}', '--title', 'Renamed'],
  ['edit', '{a}', '--add-after', '{b}'],
  ['done', '{a}'],
  ['fail', '{a}', '--reason', 'r'],
  ['abandon', '{a}'],
  ['log', '{a}', 'a message'],
  ['artifact', '{a}', 'out2.txt'],
  ['add-dep', '{a}', '{b}'],
  ['rm-dep', '{a}', '{b}'],
  ['claim', '{a}'],
  ['claim', '--next'],
  ['unclaim', '{a}'],
  ['retry', '{a}'],
  ['reset', '{a}', '--yes'],
  ['recover', '--yes'],
  ['sweep'],
  ['pause', '{a}'],
  ['resume', '{a}'],
  ['requeue', '{a}', '--reason', 'r'],
  ['service', 'status'],
  ['service', 'tick'],
];

const ID_LIKE = ['t-open', 't-dep', 't-done', 't-prog', 'missing', '__proto__', 'constructor', 'toString', 'T-Open', 'a b', '.evaluate-t-open', '-x', '', 'r-gpu', 'x'.repeat(200), '\u001b[2J'];
const TIMES = ['2026-03-20T10:00:00.000Z', '2030-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-02-30T00:00:00Z', 'not a date', '', '2026-03-20T10:00:00', '+275760-09-13T00:00:00.000Z', '2026-03-20T10:00:00+99:00'];
const ids = fc.array(fc.constantFrom(...ID_LIKE), { maxLength: 4 });
const bigInts = fc.constantFrom(0, 1, 3, 10, 1000, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21);

/** Values of the right JSON type but extreme content: what passes validation and reaches the code behind it. */
const TYPED: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.constantFrom(...ID_LIKE),
  title: fc.constantFrom(...WEIRD_STRINGS),
  description: fc.constantFrom(...WEIRD_STRINGS),
  status: fc.constantFrom('open', 'in-progress', 'done', 'failed', 'abandoned', 'blocked', 'waiting', 'pending-validation', 'pending-eval', 'failed-pending-eval', 'incomplete', 'pending-review'),
  priority: fc.oneof(bigInts, fc.constantFrom(-1, -(2 ** 53), 'critical', 'idle', 'high')),
  assigned: fc.constantFrom('agent-1', 'agent-2', 'agent-3', 'agent-999', 'agent-', 'agent-01', 'alice', '__proto__', '', 'agent-1 '),
  after: ids,
  before: ids,
  blocked_by: ids,
  blocks: ids,
  tags: fc.array(fc.constantFrom(...WEIRD_STRINGS), { maxLength: 3 }),
  artifacts: fc.array(fc.constantFrom(...WEIRD_STRINGS), { maxLength: 3 }),
  exec: fc.constantFrom('true', 'false', '', 'exit 7', 'sleep 600'),
  exec_mode: fc.constantFrom('shell', 'claude', 'codex', 'mine', 'full', 'light', 'bare', 'toString', '__proto__', 'constructor', ''),
  model: fc.constantFrom(...WEIRD_STRINGS),
  timeout: fc.constantFrom('0s', '1ms', '5s', '1e400s', '9999999999999999h', '-1s', 'forever', '', '100000000d'),
  not_before: fc.constantFrom(...TIMES),
  ready_after: fc.constantFrom(...TIMES),
  created_at: fc.constantFrom(...TIMES),
  started_at: fc.constantFrom(...TIMES),
  completed_at: fc.constantFrom(...TIMES),
  log: fc.array(fc.record({ timestamp: fc.constantFrom(...TIMES), message: fc.constantFrom(...WEIRD_STRINGS), actor: fc.constantFrom('agent-1', 'alice', '__proto__', '\u001b[2J') }), { maxLength: 3 }),
  retry_count: bigInts,
  max_retries: bigInts,
  loop_iteration: bigInts,
  dispatch_count: bigInts,
  claim_epoch: bigInts,
  failure_reason: fc.constantFrom(...WEIRD_STRINGS),
  failure_class: fc.constantFrom('agent-died', 'manual', '__proto__', 'unknown-class', ''),
  paused: fc.boolean(),
  cycle_config: fc.record({ max_iterations: bigInts }),
  token_usage: fc.dictionary(fc.constantFrom('input_tokens', 'output_tokens', 'cost_usd', '__proto__'), fc.constantFrom(0, -1, 1e308, 2 ** 53)),
  visibility: fc.constantFrom('public', 'internal', '__proto__', ''),
  kind: fc.constantFrom('task', 'resource', 'Task', '', '__proto__'),
};

type LineMutation = { line: number; op: 'set'; key: string; value: unknown } | { line: number; op: 'delete'; key: string } | { line: number; op: 'text'; muts: TextMutation[] };

const typedSet = fc.constantFrom(...Object.keys(TYPED)).chain((key) => fc.record({ line: fc.nat(), op: fc.constant('set' as const), key: fc.constant(key), value: TYPED[key]! }));

const lineMutation: fc.Arbitrary<LineMutation> = fc.oneof(
  { weight: 8, arbitrary: typedSet },
  { weight: 3, arbitrary: fc.record({ line: fc.nat(), op: fc.constant('set' as const), key: fc.constantFrom(...FIELDS), value: jsonValue }) },
  { weight: 1, arbitrary: fc.record({ line: fc.nat(), op: fc.constant('delete' as const), key: fc.constantFrom(...FIELDS) }) },
  { weight: 2, arbitrary: fc.record({ line: fc.nat(), op: fc.constant('text' as const), muts: fc.array(textMutation, { minLength: 1, maxLength: 3 }) }) },
);

function mutatedGraph(muts: LineMutation[]): { text: string; note: string } {
  const lines: string[] = [...BASE_TASKS.map((t) => JSON.stringify(t)), ...BASE_OTHER_LINES.slice(0, 2)];
  for (const m of muts) {
    const i = m.line % lines.length;
    if (m.op === 'text') {
      lines[i] = applyText(lines[i]!, m.muts);
      continue;
    }
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(lines[i]!) as Record<string, unknown>;
    } catch {
      continue; // already broken by a text mutation
    }
    if (m.op === 'delete') delete obj[m.key];
    else setKey(obj, m.key, m.value);
    lines[i] = stringifyWithKeys(obj);
  }
  const base = new Set([...BASE_TASKS.map((t) => JSON.stringify(t)), ...BASE_OTHER_LINES]);
  return { text: lines.join('\n') + '\n', note: JSON.stringify(lines.filter((l) => !base.has(l))) };
}

const graphCase: fc.Arbitrary<FuzzCase> = fc
  .record({ muts: fc.array(lineMutation, { minLength: 1, maxLength: 3 }), cmd: fc.constantFrom(...COMMANDS), a: fc.constantFrom(...TASK_IDS), b: fc.constantFrom(...TASK_IDS) })
  .map(({ muts, cmd, a, b }) => {
    const g = mutatedGraph(muts);
    return { files: baseFiles({ graph: g.text }), argvs: [cmd.map((x) => x.replace('{a}', a).replace('{b}', b))], watch: WATCH, note: g.note };
  });

describe('fuzz: mutated graph.jsonl', () => {
  it('every command ends with exit 0–3 and a one-line error; a failed command changes no byte', async () => {
    const cases = fc.sample(graphCase, { seed: FUZZ_SEED, numRuns: fuzzRuns(50) });
    const results = await runBatch(cases, { concurrency: 2, agents: 2 });
    const found = findings(cases, results);
    expect(found.length, report('graph', cases, found, [])).toBe(0);
  }, 300_000);
});
