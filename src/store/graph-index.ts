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
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Hash } from 'node:crypto';
import type { Task } from '../core/task.js';
import { fsClockPast } from './file-identity.js';
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

/** 13: rows carry dependencies as read (blocked_by merged into after), cron gates; duplicates. */
const INDEX_VERSION = 13;

/** A line of the index: a task row, the id of a non-task line, or null (blank / `#`). */
export type IndexLine = Task | string | null;

/**
 * What the store knows of one exact graph.jsonl: the index, and the state a long-lived reader
 * (the service, live-graph.ts) keeps in memory.
 */
export interface GraphIndex {
  hash: string;
  size: number;
  /** [offset, length] of every line (length without the newline), flattened. */
  spans: Uint32Array;
  lines: IndexLine[];
  /** The stored JSON text of each entry, where known: unchanged entries are written back as
   * they were read, so a write that changes one task does not re-serialize 10k rows. */
  stored?: Array<string | undefined>;
  /** Known to have no dependency cycle (saves the check on every read; ~8 ms at 10k tasks). */
  acyclic?: boolean;
  /** Ids on more than one line (the earlier lines are indexed as non-task lines). */
  duplicates?: DuplicateId[];
  /** The identity (file-identity.ts) of the file these rows describe. */
  ident: string;
  /** Counts the writes (and rebuilds) of this .wg/: the change journal's numbering. */
  gen: number;
}

interface IndexHeader {
  v: number;
  hash: string;
  size: number;
  n: number;
  gen: number;
  ident: string;
  /** The spans as little-endian uint32 pairs, base64 (1 MB of text at 100k tasks). */
  spans: string;
  /** Offset of every MARK_EVERY-th entry from the start of the entries (after line 0): a point
   * read finds an entry's line number by counting at most MARK_EVERY newlines. */
  marks: number[];
  acyclic?: boolean;
  dups?: DuplicateId[];
}

export const MARK_EVERY = 1024;

const EMPTY_BYTES = Buffer.alloc(0);

/** An index file as read: its bytes (ASCII), parsed header, where the entries start, and its stat (for the racy check). */
export interface IndexFile {
  /** Emptied by indexRows (one use per read). */
  bytes: Buffer;
  header: IndexHeader;
  bodyStart: number;
  stat: BigIntStats;
}

export const indexPath = (wgDir: string): string => join(wgDir, 'cache', 'graph-index.json');

/**
 * SHA-1 hashes, with node:crypto loaded on first use: a reader that trusts the index by identity
 * never hashes, and loading the module cost ~10 ms of every read-only command's start-up.
 */
export const sha1 = (): Hash => process.getBuiltinModule('node:crypto').createHash('sha1');

export const hashBytes = (bytes: Uint8Array): string => sha1().update(bytes).digest('hex');

export function toRow(t: Task): Task {
  const row = { [PARTIAL]: true } as unknown as Task;
  for (const f of ROW_FIELDS) if (t[f] !== undefined) (row as Record<string, unknown>)[f] = t[f];
  return row;
}

export const isPartial = (t: Task): boolean => (t as unknown as Record<symbol, unknown>)[PARTIAL] === true;

/** Byte spans of the lines of `bytes` (split on 0x0A, as the text parse splits on '\n'). */
export function lineSpans(bytes: Uint8Array): Uint32Array {
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
  return Uint32Array.from(spans);
}

export function buildIndex(file: GraphFile, bytes: Uint8Array, hash: string, ident: string, gen: number): GraphIndex {
  return {
    hash,
    size: bytes.length,
    spans: lineSpans(bytes),
    lines: file.lines.map((l) => (l.task ? (isPartial(l.task) ? l.task : toRow(l.task)) : l.id !== undefined ? l.id : null)),
    ident,
    gen,
    ...(file.duplicates.length ? { duplicates: file.duplicates } : {}),
  };
}

/**
 * The spans after replacing some lines (ascending `replaced[k].i`, new byte length `len`): lines
 * before the first change are copied, later ones shift by the growth so far; room is left for
 * `extra` appended lines. One memcpy and one tight loop: at 100k lines ~0.3 ms (a per-line
 * branchy loop stayed in the interpreter in a long-lived process and cost ~20 ms).
 */
export function shiftSpans(old: Uint32Array, n: number, replaced: ReadonlyArray<{ i: number; len: number }>, extra: number): { spans: Uint32Array; shift: number } {
  const spans = new Uint32Array(2 * (n + extra));
  spans.set(old.subarray(0, 2 * n));
  let shift = 0;
  let from = 0; // first line not yet moved by `shift`
  for (let k = 0; k < replaced.length; k++) {
    const { i, len } = replaced[k]!;
    if (shift !== 0) for (let j = 2 * from; j <= 2 * i; j += 2) spans[j] = spans[j]! + shift;
    shift += len - old[2 * i + 1]!;
    spans[2 * i + 1] = len;
    from = i + 1;
  }
  if (shift !== 0) for (let j = 2 * from; j < 2 * n; j += 2) spans[j] = spans[j]! + shift;
  return { spans, shift };
}

const encodeSpans = (spans: Uint32Array): string => Buffer.from(spans.buffer, spans.byteOffset, spans.byteLength).toString('base64');

function decodeSpans(b64: string, n: number, size: number): Uint32Array | undefined {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== n * 8) return undefined;
  // Copied into a fresh (aligned) array; the pool slice Buffer.from returns may not be.
  const spans = new Uint32Array(n * 2);
  Buffer.from(spans.buffer).set(bytes);
  // The last line ends at the end of the file (or just before its final newline).
  if (n > 0 && spans[2 * n - 2]! + spans[2 * n - 1]! > size) return undefined;
  return spans;
}

/**
 * The index file and its header (not its rows), or undefined: missing, torn, another version.
 * Read through one descriptor, so the stat is the stat of the text read.
 */
export function readIndexFile(wgDir: string): IndexFile | undefined {
  let fd: number;
  try {
    fd = openSync(indexPath(wgDir), 'r');
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    // The index is written as pure ASCII (see writeIndex), so latin1 — a plain byte copy — reads
    // it; decoding 2 MB as UTF-8 cost ~7 ms of `wg ready` at 10k tasks.
    const bytes = readFileSync(fd);
    const nl = bytes.indexOf(10);
    // Line 0 is `[header,` (or `[header]` for an empty graph).
    const head = JSON.parse(bytes.toString('latin1', 1, nl < 0 ? bytes.length - 1 : nl - 1)) as Partial<IndexHeader> | undefined;
    if (!head || head.v !== INDEX_VERSION || typeof head.hash !== 'string' || typeof head.ident !== 'string' || typeof head.spans !== 'string' || typeof head.n !== 'number' || typeof head.size !== 'number' || !Array.isArray(head.marks)) return undefined;
    return { bytes, header: { ...head, gen: typeof head.gen === 'number' ? head.gen : 0 } as IndexHeader, bodyStart: nl < 0 ? bytes.length : nl + 1, stat };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The rows of an index file whose header the caller has matched to the graph file (by identity,
 * or by hash with `spans` from its own scan). One JSON.parse of the whole file (no slicing or
 * concatenation of a 20 MB string first: that kept ~40 MB more alive at 100k tasks), while a
 * writer can still reuse each entry's text verbatim (`keepStored`, writers only).
 */
export function indexRows(f: IndexFile, opts: { keepStored?: boolean; spans?: Uint32Array; ident?: string } = {}): GraphIndex | undefined {
  const { header } = f;
  try {
    const spans = opts.spans ?? decodeSpans(header.spans, header.n, header.size);
    if (!spans || spans.length !== header.n * 2) return undefined;
    const text = f.bytes.toString('latin1');
    // The bytes are not needed once decoded: let them go before the parse, which is the peak
    // (16 MB less at 100k tasks). An IndexFile is read for one use.
    f.bytes = EMPTY_BYTES;
    const all = JSON.parse(text) as unknown[];
    if (all.length !== header.n + 1) return undefined;
    const lines = new Array<IndexLine>(all.length - 1);
    for (let i = 1; i < all.length; i++) lines[i - 1] = fromStored(all[i]);
    let stored: string[] | undefined;
    if (opts.keepStored && lines.length) {
      // Line 0 is `[header,`; line i is entry i-1 followed by `,` (or by `]` on the last).
      stored = text.split('\n').slice(1);
      for (let i = 0; i < stored.length; i++) stored[i] = stored[i]!.slice(0, -1);
    }
    return { hash: header.hash, size: header.size, spans, lines, ident: opts.ident ?? header.ident, gen: header.gen, ...(stored ? { stored } : {}), ...(header.acyclic === true ? { acyclic: true } : {}), ...(Array.isArray(header.dups) ? { duplicates: header.dups } : {}) };
  } catch {
    return undefined;
  }
}

/** One stored index entry as a row (for point lookups that parse a single entry). */
export const entryFromText = (text: string): IndexLine => fromStored(JSON.parse(text));

/** JSON with every non-ASCII character escaped (`\u00e9`): the same value, pure ASCII text. */
const asciiJson = (v: unknown): string => JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export const storedText = (l: IndexLine): string => asciiJson(toStored(l));

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
export function writeIndex(wgDir: string, index: GraphIndex, graphCtimeNs?: bigint): void {
  const path = indexPath(wgDir);
  // Written strictly after the graph file's last change, so readers may trust its identity.
  if (graphCtimeNs !== undefined) fsClockPast(dirname(path), graphCtimeNs);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    // The cache is local state: keep it out of git even in a .wg/ made by an older wg.
    const ignore = join(dirname(path), '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
    const entries = index.lines.map((l, i) => index.stored?.[i] ?? storedText(l));
    const marks: number[] = [];
    for (let i = 0, off = 0; i < entries.length; off += entries[i]!.length + 2, i++) if (i % MARK_EVERY === 0) marks.push(off);
    const head = asciiJson({ v: INDEX_VERSION, hash: index.hash, size: index.size, n: index.lines.length, gen: index.gen, ident: index.ident, ...(index.acyclic ? { acyclic: true } : {}), ...(index.duplicates?.length ? { dups: index.duplicates } : {}), marks, spans: encodeSpans(index.spans) });
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
  const h = sha1();
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
