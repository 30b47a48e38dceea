/**
 * The graph index: a cache of what a validated parse of graph.jsonl found, so that the hot
 * commands (an agent runs `wg` hundreds of times per task) need not JSON-parse and validate
 * every line of a large graph on every call.
 *
 * `.wg/cache/graph-index.json` holds, for the exact bytes of graph.jsonl it was built from
 * (SHA-1 and size): each line's byte span, and per task line a *row* — the task without its
 * bulky fields (log, description, …). It is only ever built from a full, validated parse, so
 * when the hash matches, every line is known to be valid (SPEC §1 rule 6 still holds: a file
 * changed behind our back — a hand edit, git, the Rust tool — has another hash, and the next
 * command parses and validates it all again). Rows are marked PARTIAL: the store refuses to
 * write a partial task, so a plan can never drop the fields a row does not carry; plans get
 * full tasks from `graph.get()`, which parses that one line on demand.
 *
 * Measured on the 2-core reference machine (see docs/benchmarks.md): `wg ready --json` at 10k
 * tasks spends ~170 ms of its ~250 ms in JSON.parse, zod and the GC of 10k full task objects.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Task } from '../core/task.js';
import type { DuplicateId, GraphFile } from './graph-file.js';

/** Marks a task object that lacks fields (a row). Enumerable, so `{...row}` keeps it. */
export const PARTIAL: unique symbol = Symbol.for('workgraph.partial-task') as never;

/** What a row keeps: everything readiness, dispatch order, `ready`, `status`, `list` need. */
export const ROW_FIELDS = [
  'kind',
  'id',
  'title',
  'status',
  'priority',
  'assigned',
  'after',
  'tags',
  'not_before',
  'ready_after',
  'paused',
  'dispatch_count',
  'cycle_config',
  'cron_enabled',
  'next_cron_fire',
] as const;

/** 12: rows carry dependencies as read (blocked_by merged into after), cron gates; duplicates. */
const INDEX_VERSION = 12;

/** A line of the index: a task row, the id of a non-task line, or null (blank / `#`). */
export type IndexLine = Task | string | null;

export interface GraphIndex {
  hash: string;
  size: number;
  /** [offset, length] of every line (length without the newline), flattened. Not stored:
   * recomputed from the bytes on read (a newline scan costs less than parsing the numbers). */
  spans: ArrayLike<number>;
  lines: IndexLine[];
  /** The stored JSON text of each entry, where known: unchanged entries are written back as
   * they were read, so a write that changes one task does not re-serialize 10k rows. */
  stored?: Array<string | undefined>;
  /** Known to have no dependency cycle (saves the check on every read; ~8 ms at 10k tasks). */
  acyclic?: boolean;
  /** Ids on more than one line (the earlier lines are indexed as non-task lines). */
  duplicates?: DuplicateId[];
}

export const indexPath = (wgDir: string): string => join(wgDir, 'cache', 'graph-index.json');

export const hashBytes = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

export function toRow(t: Task): Task {
  const row = { [PARTIAL]: true } as unknown as Task;
  for (const f of ROW_FIELDS) if (t[f] !== undefined) (row as Record<string, unknown>)[f] = t[f];
  return row;
}

export const isPartial = (t: Task): boolean => (t as unknown as Record<symbol, unknown>)[PARTIAL] === true;

/** Byte spans of the lines of `bytes` (split on 0x0A, as the text parse splits on '\n'). */
export function lineSpans(bytes: Uint8Array): number[] {
  const spans: number[] = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    spans.push(start, nl - start);
    start = nl + 1;
  }
  if (start < buf.length) spans.push(start, buf.length - start);
  return spans;
}

export function buildIndex(file: GraphFile, bytes: Uint8Array, hash: string): GraphIndex {
  return {
    hash,
    size: bytes.length,
    spans: lineSpans(bytes),
    lines: file.lines.map((l) => (l.task ? toRow(l.task) : l.id !== undefined ? l.id : null)),
    ...(file.duplicates.length ? { duplicates: file.duplicates } : {}),
  };
}

/**
 * The index for a file with this hash, size and line spans, or undefined (missing, stale, …).
 * On disk it is one JSON array, one element per line: the header `{"v","hash","size","n",…}`,
 * then one entry per graph line. One JSON.parse of the whole file (no slicing or concatenation
 * of a 20 MB string first: that kept ~40 MB more alive at 100k tasks), while a writer can still
 * reuse each entry's text verbatim. `keepStored` keeps those texts (writers only).
 */
export function readIndex(wgDir: string, hash: string, size: number, spans: ArrayLike<number>, keepStored = false): GraphIndex | undefined {
  try {
    // The index is written as pure ASCII (see writeIndex), so latin1 — a plain byte copy — reads
    // it; decoding 2 MB as UTF-8 cost ~7 ms of `wg ready` at 10k tasks.
    const text = readFileSync(indexPath(wgDir), 'latin1');
    const all = JSON.parse(text) as unknown[];
    const head = all[0] as { v?: unknown; hash?: unknown; size?: unknown; n?: unknown; acyclic?: unknown; dups?: DuplicateId[] } | undefined;
    if (!head || head.v !== INDEX_VERSION || head.hash !== hash || head.size !== size || head.n !== spans.length / 2 || all.length !== spans.length / 2 + 1) return undefined;
    const lines = new Array<IndexLine>(all.length - 1);
    for (let i = 1; i < all.length; i++) lines[i - 1] = fromStored(all[i]);
    let stored: string[] | undefined;
    if (keepStored && lines.length) {
      // Line 0 is `[header,`; line i is entry i-1 followed by `,` (or by `]` on the last).
      stored = text.split('\n').slice(1);
      for (let i = 0; i < stored.length; i++) stored[i] = stored[i]!.slice(0, -1);
    }
    return { hash, size, spans, lines, ...(stored ? { stored } : {}), ...(head.acyclic === true ? { acyclic: true } : {}), ...(Array.isArray(head.dups) ? { duplicates: head.dups } : {}) };
  } catch {
    return undefined;
  }
}

/** JSON with every non-ASCII character escaped (`\u00e9`): the same value, pure ASCII text. */
const asciiJson = (v: unknown): string => JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Rows are stored as plain objects (the real field names): JSON.parse then yields the row
 * objects directly. Storing arrays made the file ~25% smaller but the conversion held both
 * forms at once: at 100k tasks the peak RSS of `wg ready` was ~180 MB with arrays, ~150 MB
 * with objects. Non-task lines are stored as their id, blank lines as null.
 */
function toStored(l: IndexLine): unknown {
  if (l === null || typeof l === 'string') return l;
  const o: Record<string, unknown> = {};
  for (const f of ROW_FIELDS) if (f !== 'kind' && (l as Record<string, unknown>)[f] !== undefined) o[f] = (l as Record<string, unknown>)[f];
  return o;
}

function fromStored(v: unknown): IndexLine {
  if (v === null || typeof v === 'string') return v;
  // No `kind` added: nothing reads it from a row, and each added property costs memory at 100k.
  const row = v as Record<string | symbol, unknown>;
  row[PARTIAL] = true;
  return row as unknown as Task;
}

/**
 * Best effort and not fsynced: a cache. A read-only .wg/ or a full disk only costs speed; a
 * file torn by a crash fails to parse or to match, and the next command rebuilds it.
 */
export function writeIndex(wgDir: string, index: GraphIndex): void {
  const path = indexPath(wgDir);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    // The cache is local state: keep it out of git even in a .wg/ made by an older wg.
    const ignore = join(dirname(path), '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
    const head = asciiJson({ v: INDEX_VERSION, hash: index.hash, size: index.size, n: index.lines.length, ...(index.acyclic ? { acyclic: true } : {}), ...(index.duplicates?.length ? { dups: index.duplicates } : {}) });
    const entries = index.lines.map((l, i) => index.stored?.[i] ?? asciiJson(toStored(l)));
    writeFileSync(tmp, entries.length ? `[${head},\n${entries.join(',\n')}]` : `[${head}]`);
    renameSync(tmp, path);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * Hash and line spans of a file read in 1 MiB chunks through an open descriptor, which the
 * caller keeps to read single lines later: the descriptor pins the inode, so those reads see
 * exactly the hashed content even if a writer renames a new graph.jsonl into place meanwhile.
 * Peak memory stays independent of the file size (the 100k-task file is 54 MB).
 */
export function scanFile(fd: number): { hash: string; size: number; spans: Uint32Array } {
  const h = createHash('sha1');
  // Offsets fit in 32 bits (a 4 GiB graph is far beyond any target); a typed array holds the
  // 200k numbers of a 100k-task graph in 0.8 MB instead of a growing JS array's ~3 MB.
  let spans = new Uint32Array(1 << 12);
  let count = 0;
  const push = (a: number, b: number): void => {
    if (count + 2 > spans.length) {
      const bigger = new Uint32Array(spans.length * 2);
      bigger.set(spans);
      spans = bigger;
    }
    spans[count++] = a;
    spans[count++] = b;
  };
  const chunk = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  let lineStart = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    const view = chunk.subarray(0, n);
    h.update(view);
    for (let i = view.indexOf(10); i >= 0; i = view.indexOf(10, i + 1)) {
      push(lineStart, pos + i - lineStart);
      lineStart = pos + i + 1;
    }
    pos += n;
  }
  if (lineStart < pos) push(lineStart, pos - lineStart);
  return { hash: h.digest('hex'), size: pos, spans: spans.subarray(0, count) };
}

/** One line's text, read through the descriptor scanFile hashed. */
export function readLine(fd: number, offset: number, length: number): string {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return buf.toString('utf8', 0, got);
}
