/**
 * Fuzz: random command lines against the built `wg` (issue 14, point 9) in a valid project:
 * known and unknown command words (prototype names among them), flags of any command in any
 * place, values that are empty, huge, negative, control characters or prototype names. Every
 * outcome is exit 0–3 with a one-line error; a command that fails changes no byte.
 *
 * Left out on purpose: `service start|restart|daemon` and `demo` (long-running by design),
 * absolute paths and `..` as values (a fuzzer must not write outside its project).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseFiles, TASK_IDS, WATCH } from './base.js';
import { findings, FUZZ_SEED, fuzzRuns, report, runBatch, WEIRD_NUMBERS, WEIRD_STRINGS, type FuzzCase } from './fuzz.js';

const WORDS = [
  'init', 'which', 'add', 'edit', 'show', 'list', 'ready', 'status', 'claim', 'unclaim', 'done', 'fail', 'abandon', 'log', 'artifact', 'add-dep', 'rm-dep',
  'blocked', 'why-blocked', 'check', 'pause', 'resume', 'viz', 'html', 'heartbeat', 'service', 'agents', 'agent-guide', 'retry', 'reset', 'requeue', 'recover',
  'sweep', 'reap', 'kill', 'quickstart', 'agency', 'role', 'tradeoff', 'agent', 'assign', 'evaluate', 'help',
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'nope', '', '-', '--', 'ADD', 'lis',
];
const SUBWORDS = ['status', 'tick', 'pause', 'resume', 'stop', 'kill', 'list', 'show', 'add', 'init', 'create', 'run', 'record', '__proto__', 'constructor', 'help'];
const FLAGS = [
  '--json', '--dir', '--all', '--status', '--tag', '--priority', '--after', '--id', '-d', '--description', '--reason', '--yes', '--dry-run', '--force', '--next', '--actor',
  '--redispatch', '--older-than', '--direction', '--filter', '--max-attempts', '--keep-agency', '--out', '--title', '--exec', '--model', '--max-retries', '--timeout',
  '--paused', '--not-before', '--allow-phantom', '--add-after', '--remove-after', '--add-tag', '--remove', '--alive', '--dead', '--kill-agents', '--max-agents',
  '--interval', '--executor', '--immediate', '-h', '--help', '-V', '--version', '--bogus', '-x', '--__proto__', '--constructor', '--no-json', '--json=1', '--dir=',
];
const VALUES = [...WEIRD_STRINGS.filter((s) => !s.startsWith('/') && !s.includes('..')), ...WEIRD_NUMBERS.map(String), ...TASK_IDS, '99999999999999d', '+99999999999999999999h', '99999999999999999999', '1e400', '2026-02-30T00:00:00Z', '275760-09-13T00:00:01Z', 'status=failed', 'attempts<=2', 'error~boom', 'id-prefix=t-', 'forward', 'backward', 'both', 'sideways', '1h', '0', 'site', '.wg', 'sub', 'agent-2'];

const token = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 4, arbitrary: fc.constantFrom(...VALUES) }, { weight: 1, arbitrary: fc.constantFrom(...SUBWORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });

const FORBIDDEN = (argv: string[]): boolean =>
  argv.includes('demo') || argv.includes('daemon') || argv.includes('--foreground') || (argv.includes('service') && (argv.includes('start') || argv.includes('restart'))) || argv.some((a) => a.startsWith('/') || a.includes('..') || a.startsWith('--dir=/') || a.includes('\0'));

const argvArb: fc.Arbitrary<string[]> = fc
  .record({ pre: fc.array(fc.constantFrom('--json', '--dir', '.wg'), { maxLength: 2 }), word: fc.constantFrom(...WORDS), sub: fc.option(fc.constantFrom(...SUBWORDS), { nil: undefined }), rest: fc.array(token, { maxLength: 6 }) })
  .map(({ pre, word, sub, rest }) => [...pre, word, ...(sub ? [sub] : []), ...rest])
  .filter((argv) => !FORBIDDEN(argv));

const cliCase: fc.Arbitrary<FuzzCase> = argvArb.map((argv) => ({ files: baseFiles(), argvs: [argv], watch: WATCH }));

describe('fuzz: random command lines', () => {
  it('every command ends with exit 0–3 and a one-line error; a failed command changes no byte', async () => {
    const cases = fc.sample(cliCase, { seed: FUZZ_SEED, numRuns: fuzzRuns(50) });
    const results = await runBatch(cases, { concurrency: 2, agents: 2 });
    const found = findings(cases, results);
    expect(found.length, report('command lines', cases, found, [])).toBe(0);
  }, 300_000);
});
