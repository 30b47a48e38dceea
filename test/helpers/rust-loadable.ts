/**
 * The suite-wide promise of issue 10: every file wg leaves behind stays loadable by the Rust
 * tool. Every temp project and temp directory of the test helpers is checked when it is cleaned
 * up — each graph.jsonl, service/registry.json and service/state.json under it, with the rules
 * of src/compat/rust-rules.ts — and a problem fails the test. A test that writes an unloadable
 * file on purpose (a corrupt line, a value only an older wg wrote) opts out, saying why.
 *
 * With WG_RUST_CHECK_STATS=<file>, each check appends one JSON line of counts to that file
 * (files and lines checked), for the numbers in a report.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rustLoadsGraph, rustLoadsRegistry, rustLoadsServiceState } from '../../src/compat/rust-rules.js';

const CHECKS: Record<string, (bytes: Uint8Array) => { errors: Array<{ line: number; message: string }> }> = {
  'graph.jsonl': rustLoadsGraph,
  'registry.json': rustLoadsRegistry,
  'state.json': rustLoadsServiceState,
};

/** Files the Rust tool reads under `root` (graph.jsonl anywhere; registry/state in a service/ dir). */
function rustFiles(root: string, depth = 6): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(root, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // removed meanwhile
    }
    if (st.isDirectory()) {
      if (depth > 0 && name !== 'node_modules' && name !== 'agents' && name !== 'cache') out.push(...rustFiles(p, depth - 1));
    } else if (name === 'graph.jsonl' || ((name === 'registry.json' || name === 'state.json') && root.endsWith('/service'))) out.push(p);
  }
  return out;
}

/** Every problem (file: message) the Rust tool would have loading the files under `root`. */
export function rustLoadProblems(root: string): string[] {
  if (!existsSync(root)) return [];
  const problems: string[] = [];
  let lines = 0;
  const files = rustFiles(root);
  for (const f of files) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    const bytes = readFileSync(f);
    if (name === 'graph.jsonl') lines += bytes.toString('utf8').split('\n').filter((l) => l.trim()).length;
    for (const e of CHECKS[name]!(bytes).errors) problems.push(`${f}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  }
  const stats = process.env.WG_RUST_CHECK_STATS;
  if (stats) appendFileSync(stats, JSON.stringify({ files: files.length, graphs: files.filter((f) => f.endsWith('graph.jsonl')).length, lines, problems: problems.length }) + '\n');
  return problems;
}

export class RustUnloadableError extends Error {}

/** Throws (after the caller's cleanup) when a file under `root` is one the Rust tool would refuse. */
export function assertRustLoadable(problems: string[]): void {
  if (!problems.length) return;
  throw new RustUnloadableError(
    `the Rust tool could not load what this test left behind (issue 10):\n  ${problems.slice(0, 10).join('\n  ')}${problems.length > 10 ? `\n  … ${problems.length - 10} more` : ''}\n` +
      "(a test that writes such a file on purpose opts out: project.rustUnloadable('why'))",
  );
}
