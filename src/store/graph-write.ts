/**
 * A store write, the one path every writer takes (the CLI's JsonlStore.mutate and the service's
 * LiveGraph.mutate), under the graph lock:
 *
 *   prepareWrite  the new graph.jsonl in a temp file, streamed from the current one: unchanged
 *                 byte ranges copied, the lines of changed tasks replaced, new tasks appended;
 *                 every byte read is hashed and must match the state the plan ran on (a writer
 *                 reads all bytes anyway, so it verifies them: SPEC §1 rule 6);
 *   commitWrite   the journal entry (journal.ts), then the rename, then the directory fsync.
 *
 * The caller then appends provenance and writes the index (graph-index.ts) for the new state.
 * Streaming keeps a write's memory independent of the file size: at 100k tasks (54 MB) reading
 * the file into one buffer and concatenating the patched copy held ~110 MB at once.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { Graph, isAcyclic } from '../core/graph.js';
import { serializeTask, type Task } from '../core/task.js';
import { fsyncDir, tempPathFor } from './atomic-write.js';
import { fstatBig, identityOf } from './file-identity.js';
import { readLine, sha1, shiftSpans, toRow, type GraphIndex, type IndexLine } from './graph-index.js';
import { appendJournal, type JournalEntry } from './journal.js';
import type { WgPaths } from './paths.js';
import { stageOperations } from './provenance.js';

/** The bytes of graph.jsonl are not the ones the state describes (changed in place behind our back). */
export class GraphChanged extends Error {
  constructor() {
    super('graph.jsonl changed while it was being rewritten');
  }
}

export interface PreparedWrite {
  next: GraphIndex;
  entry: JournalEntry;
  tmp: string;
  /** The temp file, open read/write: after the rename it is the new graph.jsonl. */
  fd: number;
  /** Ids of the tasks whose line changed or was appended. */
  changed: string[];
}

const CHUNK = 1 << 20;

function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
}

/**
 * Writes the file that results from applying `writes` to the file open as `fd` (described by
 * `state`) into a temp file next to `graphPath`. Undefined when no line would change. Throws
 * GraphChanged when the bytes read do not hash to `state.hash`. `lineOf` finds a task's line
 * (a scan of the rows when not given).
 */
export function prepareWrite(graphPath: string, fd: number, state: GraphIndex, writes: Task[], graph: Graph, lineOf?: (id: string) => number | undefined): PreparedWrite | undefined {
  if (!writes.length) return undefined;
  const n = state.lines.length;
  let find = lineOf;
  if (!find) {
    const wanted = new Set(writes.map((w) => w.id));
    const found = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const l = state.lines[i];
      if (l !== null && typeof l === 'object' && wanted.has(l.id)) found.set(l.id, i);
    }
    find = (id) => found.get(id);
  }
  const replaced = new Map<number, Buffer>();
  const rows = new Map<number, Task>();
  const appended: Task[] = [];
  const appendedAt = new Map<string, number>();
  for (const w of writes) {
    const i = find(w.id);
    if (i !== undefined) {
      const current = replaced.get(i)?.toString('utf8') ?? readLine(fd, state.spans[2 * i]!, state.spans[2 * i + 1]!);
      // The line it replaces gives the key order (and unchanged dependencies their spelling).
      const raw = serializeTask(w, JSON.parse(current) as Record<string, unknown>);
      if (current !== raw) {
        replaced.set(i, Buffer.from(raw, 'utf8'));
        rows.set(i, w);
      }
      continue;
    }
    const a = appendedAt.get(w.id);
    if (a !== undefined) appended[a] = w;
    else {
      appendedAt.set(w.id, appended.length);
      appended.push(w);
    }
  }
  if (!replaced.size && !appended.length) return undefined;

  const keys = [...replaced.keys()].sort((a, b) => a - b);
  const tmp = tempPathFor(graphPath);
  const out = openSync(tmp, 'wx+', 0o644);
  try {
    const hOld = sha1();
    const hNew = sha1();
    let lastOut = 10;
    let outSize = 0;
    const emit = (b: Uint8Array): void => {
      if (!b.length) return;
      hNew.update(b);
      writeAll(out, b);
      lastOut = b[b.length - 1]!;
      outSize += b.length;
    };
    // Stream the old file once: hash it, copy what stays, swap in the replaced lines.
    const buf = Buffer.allocUnsafe(CHUNK);
    let k = 0;
    let emitted = false; // replacement k already written
    let filePos = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, CHUNK, filePos);
      if (got === 0) break;
      const view = buf.subarray(0, got);
      hOld.update(view);
      const end = filePos + got;
      let cur = filePos;
      while (cur < end) {
        if (k < keys.length) {
          const off = state.spans[2 * keys[k]!]!;
          const len = state.spans[2 * keys[k]! + 1]!;
          if (cur >= off) {
            if (!emitted) {
              emit(replaced.get(keys[k]!)!);
              emitted = true;
            }
            const skipTo = Math.min(end, off + len);
            cur = skipTo;
            if (skipTo === off + len) {
              k++;
              emitted = false;
            }
            continue;
          }
          const stop = Math.min(end, off);
          emit(view.subarray(cur - filePos, stop - filePos));
          cur = stop;
          continue;
        }
        emit(view.subarray(cur - filePos));
        cur = end;
      }
      filePos = end;
    }
    if (filePos !== state.size || hOld.digest('hex') !== state.hash) throw new GraphChanged();
    // A replaced last line (a file without a final newline).
    while (k < keys.length) {
      if (!emitted) emit(replaced.get(keys[k]!)!);
      k++;
      emitted = false;
    }

    // New spans: unchanged lines shift by the growth so far; replaced ones take their new length.
    const { spans } = shiftSpans(state.spans, n, keys.map((i) => ({ i, len: replaced.get(i)!.length })), appended.length);
    const lines: IndexLine[] = state.lines.slice();
    const stored = state.stored ? state.stored.slice() : undefined;
    const set: Array<[number, string]> = [];
    for (const i of keys) {
      lines[i] = toRow(rows.get(i)!);
      if (stored) stored[i] = undefined;
      set.push([i, replaced.get(i)!.toString('utf8')]);
    }
    if (appended.length) {
      if (outSize > 0 && lastOut !== 10) emit(Buffer.from('\n'));
      appended.forEach((w, j) => {
        const text = serializeTask(w);
        const line = Buffer.from(text, 'utf8');
        spans[2 * (n + j)] = outSize;
        spans[2 * (n + j) + 1] = line.length;
        emit(line);
        emit(Buffer.from('\n'));
        lines.push(toRow(w));
        stored?.push(undefined);
        set.push([n + j, text]);
      });
    }
    fsyncSync(out);
    const ident = identityOf(fstatBig(out));
    // Still acyclic? Only a write that adds dependencies can close a cycle: then check the new
    // structure (rows suffice); otherwise the old answer stands.
    const written = [...rows.values(), ...appended];
    const sameEdges = written.every((w) => {
      const before = graph.peek(w.id);
      return (w.after ?? []).every((d) => (before?.after ?? []).includes(d)) && (before !== undefined || graph.dependents(w.id).length === 0);
    });
    const acyclic = state.acyclic === true && sameEdges ? true : isAcyclic(new Graph(lines.filter((l): l is Task => l !== null && typeof l === 'object')));
    const hash = hNew.digest('hex');
    const next: GraphIndex = { hash, size: outSize, spans, lines, ident, gen: state.gen + 1, ...(acyclic ? { acyclic } : {}), ...(stored ? { stored } : {}), ...(state.duplicates ? { duplicates: state.duplicates } : {}) };
    const entry: JournalEntry = { g: next.gen, from: state.ident, to: ident, hash, size: outSize, n: lines.length, acyclic, set };
    return { next, entry, tmp, fd: out, changed: written.map((w) => w.id) };
  } catch (e) {
    closeSync(out);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

/**
 * Journal entry, rename, directory fsync. If it throws, nothing was committed and the caller
 * abandons the write (abandonWrite). After the rename the change is made: a directory fsync
 * that fails then is a warning (returned), not a failure.
 */
export function commitWrite(wgDir: string, graphPath: string, p: PreparedWrite): string[] {
  appendJournal(wgDir, p.entry);
  renameSync(p.tmp, graphPath);
  try {
    fsyncDir(graphPath);
    return [];
  } catch (e) {
    return [`the change was saved, but the directory could not be synced (${(e as Error).message}): a power loss now could undo it`];
  }
}

/**
 * Commits a prepared write with its provenance lines: staged first (if they cannot be written,
 * nothing is), then commitWrite; if either throws, the write is abandoned and nothing changed.
 * Returns commitWrite's warnings. From here on the change stands, whatever fails: the caller
 * appends what was staged (appendStaged) once the rest of its bookkeeping allows.
 */
export function commitWithProvenance(paths: WgPaths, p: PreparedWrite, owed: string, text: string): string[] {
  try {
    stageOperations(paths, owed, text, p.next.hash);
    return commitWrite(paths.dir, paths.graph, p);
  } catch (e) {
    abandonWrite(p);
    throw e;
  }
}

/** Drops a prepared write that will not be committed. */
export function abandonWrite(p: PreparedWrite): void {
  closeSync(p.fd);
  try {
    unlinkSync(p.tmp);
  } catch {
    // already gone
  }
}
