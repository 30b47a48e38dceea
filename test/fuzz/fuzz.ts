/**
 * Fuzzing the built `wg` (issue 14): generators of mutated files and command lines (fast-check,
 * sampled with a fixed seed so CI is deterministic), the batch runner (test/fuzz/runner.mjs in a
 * private PID namespace), and the oracle: every command ends with exit 0/1/2/3, no `internal
 * error`, no stack trace; a command that fails changes no byte of the files it could write; the
 * bystander process always survives.
 *
 * WG_FUZZ_SEED picks another seed, WG_FUZZ_RUNS another number of cases per target (the
 * default keeps the four targets within about a minute on 2 cores).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { WG_BIN } from '../helpers/wg.js';

export const FUZZ_SEED = process.env.WG_FUZZ_SEED ? Number(process.env.WG_FUZZ_SEED) : 20260320;
export const fuzzRuns = (fallback: number): number => (process.env.WG_FUZZ_RUNS ? Number(process.env.WG_FUZZ_RUNS) : fallback);

/** node + the system directories, nothing else: no `claude`/`codex` of the host. */
export const FUZZ_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

export interface FuzzCase {
  /** Files of the project, relative to its root (`@@NAME@@` placeholders: see runner.mjs). */
  files: Record<string, string>;
  /** Commands run in order in the same project. */
  argvs: string[][];
  env?: Record<string, string>;
  /** Files that a failing command must leave byte-for-byte unchanged. */
  watch?: string[];
  /** What was mutated, for the report. */
  note?: string;
  /** Files to hand back (their text after the last command). */
  read?: string[];
}

export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface CaseResult {
  i: number;
  results: CommandResult[];
  changed: string[];
  bystander: boolean;
  agents: Array<{ pid: number; start: string; died: boolean }>;
  vars: Record<string, string | number>;
  files: Record<string, string | null>;
}

const RUNNER = resolve(__dirname, 'runner.mjs');

/**
 * Runs `cases` in a private PID namespace (as root: `unshare --pid --fork --mount-proc`). The
 * namespace ends with the runner, taking every process a case started with it.
 */
export async function runBatch(cases: FuzzCase[], opts: { concurrency?: number; agents?: number; caseTimeoutMs?: number } = {}): Promise<CaseResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wg-fuzz-batch-'));
  const input = join(dir, 'cases.json');
  writeFileSync(input, JSON.stringify({ wg: process.env.WG_FUZZ_BIN ?? WG_BIN, node: process.execPath, path: FUZZ_PATH, concurrency: opts.concurrency ?? 2, agents: opts.agents ?? 0, caseTimeoutMs: opts.caseTimeoutMs ?? 20_000, cases }));
  // Detached: unshare leads its own process group, so nothing in the namespace shares a group
  // with this test process.
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, RUNNER, input], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const code = await new Promise<number | null>((res, rej) => {
      child.on('error', rej);
      child.on('close', (c) => res(c));
    });
    if (code !== 0) throw new Error(`fuzz runner exited ${code}: ${err.slice(0, 2000)}`);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CaseResult)
      .sort((a, b) => a.i - b.i);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What is wrong with one command's outcome, if anything. */
export function commandProblem(r: CommandResult): string | undefined {
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code === null || ![0, 1, 2, 3].includes(r.code)) return `exit code ${r.code}`;
  const all = `${r.stdout}\n${r.stderr}`;
  if (/internal error/i.test(all)) return 'internal error';
  if (/\n\s+at [^\n]*(\(|file:|node:)/.test(`\n${r.stderr}`) || /\b(TypeError|RangeError|ReferenceError)\b/.test(r.stderr)) return 'stack trace';
  // A failure says why: `error: …` on stderr, a JSON error object, or (`wg check`) its findings.
  if (r.code !== 0 && r.code !== 3 && !/^error: /m.test(r.stderr) && !r.stdout.includes('"error"') && !/^error: /m.test(r.stdout)) return 'failed without an error message';
  return undefined;
}

export interface Finding {
  seed: number;
  case: number;
  problem: string;
  argv: string[];
  output: string;
  detail?: string;
}

/** Every problem of a batch (the oracle of issue 14, point 9), plus extra per-case checks. */
export function findings(cases: FuzzCase[], results: CaseResult[], extra?: (c: FuzzCase, r: CaseResult) => string | undefined): Finding[] {
  const found: Finding[] = [];
  if (results.length !== cases.length) found.push({ seed: FUZZ_SEED, case: results.length, problem: `only ${results.length} of ${cases.length} cases ran (the bystander died?)`, argv: [], output: '' });
  for (const r of results) {
    const c = cases[r.i]!;
    r.results.forEach((cmd, k) => {
      const p = commandProblem(cmd);
      if (p) found.push({ seed: FUZZ_SEED, case: r.i, problem: p, argv: c.argvs[k]!, output: `${cmd.stdout}${cmd.stderr}`.slice(0, 600) });
    });
    if (r.changed.length) found.push({ seed: FUZZ_SEED, case: r.i, problem: `a failed command changed ${r.changed.join(', ')}`, argv: c.argvs.flat(), output: r.results.map((x) => x.stderr).join('').slice(0, 600) });
    if (!r.bystander) found.push({ seed: FUZZ_SEED, case: r.i, problem: 'the bystander process was killed', argv: c.argvs.flat(), output: r.results.map((x) => x.stderr).join('').slice(0, 600) });
    const e = extra?.(c, r);
    if (e) found.push({ seed: FUZZ_SEED, case: r.i, problem: e, argv: c.argvs.flat(), output: r.results.map((x) => x.stderr).join('').slice(0, 600) });
  }
  return found;
}

/** A readable summary: counts by problem, then the first examples with what reproduces them. */
export function report(target: string, cases: FuzzCase[], found: Finding[], show: string[], examples = 6): string {
  if (!found.length) return '';
  const by = new Map<string, number>();
  for (const f of found) by.set(f.problem, (by.get(f.problem) ?? 0) + 1);
  const lines = [`${target}: ${found.length} finding(s) in ${new Set(found.map((f) => f.case)).size} of ${cases.length} cases (seed ${FUZZ_SEED}; rerun with WG_FUZZ_SEED=${FUZZ_SEED})`];
  for (const [p, n] of by) lines.push(`  ${n} × ${p}`);
  for (const f of found.slice(0, examples)) {
    const c = cases[f.case];
    lines.push(`--- case ${f.case}: ${f.problem}: wg ${JSON.stringify(f.argv)}`, f.output.trim());
    if (c?.note) lines.push(`  mutated: ${c.note.length > 3000 ? `${c.note.slice(0, 3000)}…` : c.note}`);
    if (c) for (const rel of show) if (c.files[rel] !== undefined) lines.push(`  ${rel}: ${JSON.stringify(c.files[rel]!.length > 3000 ? `${c.files[rel]!.slice(0, 3000)}…` : c.files[rel])}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- values

/** Strings that have broken parsers and lookups before: prototype names, control characters, paths. */
export const WEIRD_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '\u001b[2J\u001b]0;pwned\u0007',
  '\u0000',
  'a\nb',
  '\r\n',
  '\t',
  '../../x',
  '/etc/passwd',
  'x'.repeat(3000),
  '\u202e\u2066',
  '😀',
  '\ud800',
  '-1',
  '1e999',
  'NaN',
  'agent-1',
  'agent-999',
  'agent-',
  'human',
  't-open',
  'T-OPEN',
  '.evaluate-t-done',
  '5s',
  '0s',
  '-5s',
  '1e400s',
  '9999999999999999h',
  '2030-01-01T00:00:00Z',
  'not a date',
  'shell',
  'claude',
  'codex',
  'full',
];

export const WEIRD_NUMBERS = [0, 1, -1, 2, 3, 1.5, -0.5, 127, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 53, 2 ** 64, 1e308, -1e308, 4194304];

/** Marker for a deeply nested value: replaced in the JSON text (JSON.stringify cannot nest that deep). */
const DEEP = (depth: number, open: '[' | '{'): string => `\u0001DEEP:${depth}:${open}\u0001`;

export function expandDeep(text: string): string {
  return text.replace(/"\u0001DEEP:(\d+):([[{])\u0001"/g, (_m, d: string, open: string) => {
    const n = Number(d);
    return open === '[' ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  });
}

const leaf: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(...WEIRD_STRINGS), fc.constantFrom(...WEIRD_NUMBERS), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }));

/** A JSON value: weird leaves, small arrays and objects (weird keys too), or very deep nesting. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 2, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('t-open', 't-dep', 't-done', 'missing', '__proto__', 'T', ''), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a', 'message', 'timestamp', 'max_iterations', 'toString'), leaf, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(50, 200, 5000, 20000, 200000), fc.constantFrom('[' as const, '{' as const)).map(([d, o]) => DEEP(d, o)) },
);

/** JSON.stringify that keeps `__proto__` as an own key (as a hand-written file would have it). */
export function stringifyWithKeys(obj: unknown): string {
  return expandDeep(JSON.stringify(obj));
}

/** An object's own key set to `value`, `__proto__` included (defineProperty, not assignment). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
}

// ---------------------------------------------------------------- text mutations

export type TextMutation = { at: number; op: 'delete'; len: number } | { at: number; op: 'insert'; text: string } | { at: number; op: 'duplicate'; len: number } | { at: number; op: 'truncate' };

const TOKENS = ['{', '}', '[', ']', '"', ':', ',', 'null', '-1', '1e309', '"__proto__"', '"constructor":', '\\', '\\u0000', '\u0000', '\u001b[31m', '\n', '\r\n', '#', '=', '[[', ']]', '"""', "'", '\ufeff', '{"id":"t-open","title":"dup"}\n', 'true'];

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant('delete' as const), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ at: fc.nat(), op: fc.constant('insert' as const), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })) }),
  fc.record({ at: fc.nat(), op: fc.constant('duplicate' as const), len: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ at: fc.nat(), op: fc.constant('truncate' as const) }),
);

export function applyText(text: string, muts: TextMutation[]): string {
  let s = text;
  for (const m of muts) {
    const at = s.length ? m.at % (s.length + 1) : 0;
    if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.op === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.op === 'duplicate') s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at);
    else s = s.slice(0, at);
  }
  return s;
}
