/**
 * Provenance (`log/operations.jsonl`): one line per operation of a mutating command, appended
 * under the graph lock, so its order is the order of the writes.
 *
 * The graph commit (the rename of graph.jsonl) is the point of truth (issue 14): a command whose
 * graph write committed succeeded, even if its provenance cannot be appended afterwards (disk
 * full, permissions). So a write's lines are staged first — `log/operations.pending.json`,
 * written durably before the rename, with the hash of the graph the write produces — and
 * appended after it. If the append fails, the command warns and still succeeds; the next write
 * (under the lock, before anything else) appends what was staged if that commit happened (the
 * graph has the staged hash) and drops it if not (the write never committed).
 *
 * The staged file stays once made, emptied (not removed) after each append: "nothing staged" is
 * an empty or absent file. So the usual stage — nothing owed from an earlier write — rewrites an
 * existing file in place and fdatasyncs it (one flush, its name already durable) instead of a
 * temp file, fsync, rename and directory fsync (two flushes: half the cost of a service spawn's
 * or exit's graph write, measured). A crash mid-rewrite leaves a torn or empty stage, read as
 * nothing staged: right, since the stage precedes the commit, that write never committed. A stage
 * that carries owed lines (an earlier append failed) is still written by temp file and rename, so
 * a torn write can never lose them.
 */
import { appendFileSync, closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationRecord } from '../core/plan.js';
import { formatTimestamp } from '../core/time.js';
import { writeFileDurable } from './atomic-write.js';
import type { WgPaths } from './paths.js';

/** Rotate the provenance log past this size (the Rust tool's threshold). */
export const OPERATIONS_ROTATE_BYTES = 10 * 1024 * 1024;

export interface ProvenanceContext {
  actor?: string;
  user?: string;
  now: Date;
}

interface Staged {
  /** Lines of writes that committed but are not in the log yet. */
  committed: string;
  /** Lines of the write under way, and the hash of the graph it produces. */
  text?: string;
  hash?: string;
}

const stagedPath = (paths: WgPaths): string => join(paths.logDir, 'operations.pending.json');

/** The log lines of `ops` (no trailing newline), or '' for none. */
export function formatOperations(ops: OperationRecord[], ctx: ProvenanceContext): string {
  const stamp = formatTimestamp(ctx.now);
  return ops
    .map((o) => JSON.stringify({ timestamp: stamp, op: o.op, ...(o.task_id ? { task_id: o.task_id } : {}), ...(ctx.actor ? { actor: ctx.actor } : {}), ...(ctx.user ? { user: ctx.user } : {}), ...(o.detail ? { detail: o.detail } : {}) }))
    .join('\n');
}

function readStaged(paths: WgPaths): Staged | undefined {
  let text: string;
  try {
    text = readFileSync(stagedPath(paths), 'utf8');
  } catch {
    return undefined;
  }
  if (!text) return undefined; // emptied after its append: nothing staged
  try {
    const s = JSON.parse(text) as Staged;
    return typeof s.committed === 'string' ? s : { committed: '' };
  } catch {
    return { committed: '' }; // torn by a crash mid-write: nothing reliable in it
  }
}

/** Appends lines to the log (rotating it past the threshold). Throws on failure. */
function appendLines(paths: WgPaths, lines: string, now: Date): void {
  if (!lines) return;
  mkdirSync(paths.logDir, { recursive: true });
  try {
    if (statSync(paths.operations).size >= OPERATIONS_ROTATE_BYTES) {
      renameSync(paths.operations, paths.operations.replace(/\.jsonl$/, `.${formatTimestamp(now).replace(/[:.]/g, '')}.jsonl`));
    }
  } catch {
    // no log yet
  }
  appendFileSync(paths.operations, lines.endsWith('\n') ? lines : lines + '\n');
}

const joinLines = (...parts: Array<string | undefined>): string => parts.filter((p) => p).join('\n');

/**
 * Under the graph lock, before a write: settles what an earlier write left staged — its lines
 * are appended if the graph is the one it produced (`currentHash`), dropped if not. Returns the
 * lines still owed to the log (committed, not appended: the log is not writable yet).
 */
export function settleStaged(paths: WgPaths, currentHash: string, now: Date): string {
  const s = readStaged(paths);
  if (!s) return '';
  const owed = joinLines(s.committed, s.hash === currentHash ? s.text : undefined);
  try {
    appendLines(paths, owed, now);
    clearStaged(paths);
    return '';
  } catch {
    // Keep only what is owed, without the hash: a later change of the graph must not drop it.
    try {
      writeFileDurable(stagedPath(paths), JSON.stringify({ committed: owed } satisfies Staged) + '\n');
    } catch {
      // still staged as it was; retried by the next write
    }
    return owed;
  }
}

/**
 * Stages a write's lines with the hash of the graph it produces (before the commit; throws if
 * that cannot be written — then nothing is written at all). A no-op without lines to keep.
 */
export function stageOperations(paths: WgPaths, owed: string, text: string, hash: string): boolean {
  if (!owed && !text) return false;
  mkdirSync(paths.logDir, { recursive: true });
  const s: Staged = { committed: owed, text, hash };
  const path = stagedPath(paths);
  if (owed || !existsSync(path)) writeFileDurable(path, JSON.stringify(s) + '\n');
  else rewriteInPlace(path, JSON.stringify(s) + '\n');
  return true;
}

/** Rewrites an existing file and flushes it (its name is already durable: no directory fsync). */
function rewriteInPlace(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    const b = Buffer.from(text);
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Nothing staged any more: the file is emptied, kept for the next stage (absent: nothing to do). */
function clearStaged(paths: WgPaths): void {
  try {
    truncateSync(stagedPath(paths), 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** After the commit: appends what was staged. A failure is a warning (the change stands); the next write appends it. */
export function appendStaged(paths: WgPaths, owed: string, text: string, now: Date): string | undefined {
  try {
    appendLines(paths, joinLines(owed, text), now);
    clearStaged(paths);
    return undefined;
  } catch (e) {
    return `the change was saved, but log/operations.jsonl could not be appended (${(e as Error).message}); the next write adds the missing lines`;
  }
}
