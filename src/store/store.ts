/**
 * The JSONL store. Readers parse graph.jsonl without any lock (a save is an atomic rename, so
 * a reader sees the old file or the new one). Writers run a pure plan function on a fresh load
 * under the exclusive graph lock and write the result atomically, then append provenance.
 * The lock is never held across a spawn, a network call or a sleep (SPEC §1 rule 1).
 *
 * Both paths use the graph index (graph-index.ts) when it matches the file's bytes: rows
 * instead of a full parse, whole tasks parsed on demand. Otherwise they parse and validate
 * every line, and leave a fresh index behind.
 */
import { isAscii } from 'node:buffer';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { WgError } from '../core/errors.js';
import { Graph, isAcyclic } from '../core/graph.js';
import type { OperationRecord, Plan } from '../core/plan.js';
import { serializeTask, type Task } from '../core/task.js';
import { formatTimestamp } from '../core/time.js';
import { removeOrphanTemps, writeFileDurable } from './atomic-write.js';
import { duplicateIdError, duplicateIdWarning, parseGraph, parseTaskLine, type DuplicateId, type GraphFile } from './graph-file.js';
import { buildIndex, hashBytes, isPartial, lineSpans, readIndex, readLine, scanFile, toRow, writeIndex, type GraphIndex, type IndexLine } from './graph-index.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';

/** Rotate the provenance log past this size (the Rust tool's threshold). */
export const OPERATIONS_ROTATE_BYTES = 10 * 1024 * 1024;

export interface Snapshot {
  graph: Graph;
  file: GraphFile;
}

export interface MutationContext {
  actor?: string;
  user?: string;
  now: Date;
}

export interface MutationOutcome<R> {
  result: R;
  written: boolean;
}

/** The text of line `i` of `bytes`, by the index's spans. */
const lineText =
  (bytes: Buffer, spans: ArrayLike<number>) =>
  (i: number): string =>
    bytes.toString('utf8', spans[2 * i]!, spans[2 * i]! + spans[2 * i + 1]!);

/** A write the store must refuse whatever the plan: it would lose data. */
function checkWrites(writes: Task[], hasTask: (id: string) => boolean, nonTaskLine: (id: string) => number | undefined): void {
  for (const t of writes) {
    if (isPartial(t)) throw new Error(`internal error: a plan tried to write task '${t.id}' from a partial row`);
    if (!hasTask(t.id)) {
      const line = nonTaskLine(t.id);
      if (line !== undefined) throw new WgError('already_exists', `id '${t.id}' is already used by a non-task line (graph.jsonl:${line})`, { hint: 'choose another id with --id' });
    }
  }
}

export interface StoreOptions {
  /** Where a read's warnings go (a repeated id): the CLI prints them on stderr, the service logs them. */
  warn?: (message: string) => void;
  /**
   * A plan that writes a task whose id is on more than one line: `refuse` (the default: the
   * command fails, naming both lines) or `skip` (those writes are left out, with a warning —
   * for the service, whose other work must go on; readiness never hands it such a task).
   */
  duplicateWrites?: 'refuse' | 'skip';
}

const duplicateMap = (dups: readonly DuplicateId[] | undefined): Map<string, readonly number[]> => new Map((dups ?? []).map((d) => [d.id, d.lines]));

export class JsonlStore {
  constructor(
    readonly paths: WgPaths,
    private readonly opts: StoreOptions = {},
  ) {}

  /** Reads go on past a repeated id, as the Rust tool does (last line wins), with a warning. */
  private warnDuplicates(dups: readonly DuplicateId[] | undefined): void {
    if (dups?.length && this.opts.warn) for (const d of dups) this.opts.warn(duplicateIdWarning(d));
  }

  private readBytes(): Buffer {
    try {
      return readFileSync(this.paths.graph);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WgError('not_initialized', `no graph.jsonl in ${this.paths.dir} — run 'wg init'`);
      throw e;
    }
  }

  /**
   * The same string as readFileSync(path, 'utf8'), which on Node 20 is much slower than reading
   * bytes and decoding them; an all-ASCII file (the usual graph) is decoded as latin1, a plain
   * byte copy. Measured (CPU) on a 54 MB, 100k-task graph: 85–93 ms → ~50 ms; 10k: 5 → 1 ms.
   */
  private static decode(bytes: Buffer, ascii: boolean): string {
    return ascii ? bytes.toString('latin1') : bytes.toString('utf8');
  }

  /** Full, validated parse; leaves an index for the next command. */
  private parseAll(bytes: Buffer, hash: string): GraphFile {
    const file = parseGraph(JsonlStore.decode(bytes, isAscii(bytes)));
    this.warnDuplicates(file.duplicates);
    writeIndex(this.paths.dir, { ...buildIndex(file, bytes, hash), acyclic: isAcyclic(new Graph(file.tasks)) });
    return file;
  }

  /** Lock-free read of every whole task (for commands that print or scan all fields). */
  load(): Snapshot {
    const bytes = this.readBytes();
    const file = parseGraph(JsonlStore.decode(bytes, isAscii(bytes)));
    this.warnDuplicates(file.duplicates);
    const graph = new Graph(file.tasks);
    graph.duplicates = duplicateMap(file.duplicates);
    return { graph, file };
  }

  /**
   * Lock-free read for the hot read-only commands (`ready`, `status`, `list`, `why-blocked`):
   * rows from a matching index, whole tasks parsed on demand. Same answers as load().
   * `pinFile` keeps a descriptor of the hashed file open for those on-demand reads (cheap on
   * memory, right for a short-lived CLI); without it the bytes are held instead.
   */
  loadFast(pinFile = true): Graph {
    if (!pinFile) {
      // For long-lived processes (the service): no descriptor kept open; lines come from the
      // bytes read here.
      const bytes = this.readBytes();
      const hash = hashBytes(bytes);
      const index = readIndex(this.paths.dir, hash, bytes.length, lineSpans(bytes));
      if (!index) return this.fullGraph(this.parseAll(bytes, hash));
      return this.indexedGraph(index, lineText(bytes, index.spans));
    }
    let fd: number;
    try {
      fd = openSync(this.paths.graph, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WgError('not_initialized', `no graph.jsonl in ${this.paths.dir} — run 'wg init'`);
      throw e;
    }
    const { hash, size, spans } = scanFile(fd);
    const index = readIndex(this.paths.dir, hash, size, spans);
    if (!index) {
      closeSync(fd);
      // Parse the very bytes that were hashed? A writer may have replaced the file since: the
      // parse below reads the current file, whose index (built by parseAll) is for its own hash.
      const bytes = this.readBytes();
      return this.fullGraph(this.parseAll(bytes, hashBytes(bytes)));
    }
    // The descriptor stays open for on-demand lines; it closes when this short-lived CLI exits.
    return this.indexedGraph(index, (i) => readLine(fd, spans[2 * i]!, spans[2 * i + 1]!));
  }

  private fullGraph(file: GraphFile): Graph {
    const graph = new Graph(file.tasks);
    graph.duplicates = duplicateMap(file.duplicates);
    return graph;
  }

  private indexedGraph(index: GraphIndex, line: (i: number) => string, warn = true): Graph {
    if (warn) this.warnDuplicates(index.duplicates);
    const rows: Task[] = [];
    for (const l of index.lines) if (l !== null && typeof l === 'object') rows.push(l);
    // Line numbers by id, built on the first whole-task read only (`ready` never needs it;
    // at 100k tasks the map is ~8 MB).
    let lineOf: Map<string, number> | undefined;
    const graph = new Graph(rows, (id) => {
      if (!lineOf) {
        lineOf = new Map();
        index.lines.forEach((l, i) => {
          if (l !== null && typeof l === 'object') lineOf!.set(l.id, i);
        });
      }
      const i = lineOf.get(id)!;
      return parseTaskLine(line(i), i + 1);
    });
    graph.knownAcyclic = index.acyclic === true;
    graph.duplicates = duplicateMap(index.duplicates);
    return graph;
  }

  /**
   * Read-modify-write under the graph lock. `plan` is a pure function of the fresh snapshot;
   * if it throws, nothing is written. A plan with no effective change writes nothing.
   */
  async mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: MutationContext): Promise<MutationOutcome<R>> {
    const lock = await acquireLock(this.paths.lock);
    try {
      removeOrphanTemps(this.paths.graph);
      const bytes = this.readBytes();
      const hash = hashBytes(bytes);
      let index = readIndex(this.paths.dir, hash, bytes.length, lineSpans(bytes), true);
      let graph: Graph;
      let rebuilt = false;
      if (index) {
        graph = this.indexedGraph(index, lineText(bytes, index.spans), false);
      } else {
        // No index for these bytes: parse and validate every line (rule 6), and index them.
        const file = parseGraph(JsonlStore.decode(bytes, isAscii(bytes)));
        graph = this.fullGraph(file);
        index = { ...buildIndex(file, bytes, hash), acyclic: isAcyclic(graph) };
        rebuilt = true;
      }
      let p = plan(graph);
      const lines = index.lines;
      // A write to a repeated id refuses (one error, no warning first) — or, for the service, is
      // left out; any other write warns.
      for (const d of index.duplicates ?? []) {
        if (!p.writes.some((w) => w.id === d.id)) continue;
        if (this.opts.duplicateWrites !== 'skip') throw duplicateIdError(d);
        this.opts.warn?.(`not writing '${d.id}': ${duplicateIdError(d).message.replace(/ — refusing to write it$/, '')}`);
        p = { ...p, writes: p.writes.filter((w) => w.id !== d.id) };
      }
      this.warnDuplicates(index.duplicates);
      checkWrites(
        p.writes,
        (id) => graph.has(id),
        (id) => {
          const i = lines.indexOf(id);
          return i >= 0 ? i + 1 : undefined;
        },
      );
      const patched = patchLines(bytes, index, p.writes);
      if (!patched) {
        if (rebuilt) writeIndex(this.paths.dir, index);
        return { result: p.result, written: false };
      }
      writeFileDurable(this.paths.graph, patched.bytes);
      this.recordOperations(p.ops, ctx);
      // Still acyclic? Only a write that adds dependencies can close a cycle: then check the new
      // structure (rows suffice); otherwise the old answer stands.
      const sameEdges = p.writes.every((w) => {
        const before = graph.peek(w.id);
        return (w.after ?? []).every((d) => (before?.after ?? []).includes(d)) && (before !== undefined || graph.dependents(w.id).length === 0);
      });
      const acyclic = index.acyclic === true && sameEdges ? true : isAcyclic(new Graph(patched.lines.filter((l): l is Task => l !== null && typeof l === 'object')));
      writeIndex(this.paths.dir, { hash: hashBytes(patched.bytes), size: patched.bytes.length, spans: patched.spans, lines: patched.lines, acyclic, ...(patched.stored ? { stored: patched.stored } : {}), ...(index.duplicates ? { duplicates: index.duplicates } : {}) });
      return { result: p.result, written: true };
    } finally {
      lock.release();
    }
  }

  /** Provenance: one line per operation, appended while the graph lock is held. */
  recordOperations(ops: OperationRecord[], ctx: MutationContext): void {
    if (!ops.length) return;
    const stamp = formatTimestamp(ctx.now);
    const text = ops
      .map((o) => JSON.stringify({ timestamp: stamp, op: o.op, ...(o.task_id ? { task_id: o.task_id } : {}), ...(ctx.actor ? { actor: ctx.actor } : {}), ...(ctx.user ? { user: ctx.user } : {}), ...(o.detail ? { detail: o.detail } : {}) }))
      .join('\n');
    mkdirSync(this.paths.logDir, { recursive: true });
    try {
      if (statSync(this.paths.operations).size >= OPERATIONS_ROTATE_BYTES) {
        renameSync(this.paths.operations, this.paths.operations.replace(/\.jsonl$/, `.${stamp.replace(/[:.]/g, '')}.jsonl`));
      }
    } catch {
      // no log yet
    }
    appendFileSync(this.paths.operations, text + '\n');
  }
}

/**
 * Writes applied to the bytes with the index's line spans: changed lines replaced in place,
 * new tasks appended, every other byte copied. Undefined when nothing changed.
 */
function patchLines(bytes: Buffer, index: GraphIndex, writes: Task[]): { bytes: Buffer; spans: number[]; lines: IndexLine[]; stored?: Array<string | undefined> } | undefined {
  if (!writes.length) return undefined;
  const lines = index.lines.slice();
  const stored = index.stored ? index.stored.slice() : undefined;
  const n = lines.length;
  const wanted = new Set(writes.map((w) => w.id));
  const lineOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const l = lines[i];
    if (l !== null && typeof l === 'object' && wanted.has(l.id)) lineOf.set(l.id, i);
  }
  const replaced = new Map<number, string>();
  const appended: Task[] = [];
  const appendedAt = new Map<string, number>();
  let changed = false;
  for (const w of writes) {
    const i = lineOf.get(w.id);
    if (i !== undefined) {
      const current = replaced.get(i) ?? lineText(bytes, index.spans)(i);
      // The line it replaces gives the key order (and unchanged dependencies their spelling).
      const raw = serializeTask(w, JSON.parse(current) as Record<string, unknown>);
      lines[i] = toRow(w);
      if (stored) stored[i] = undefined;
      if (current !== raw) {
        replaced.set(i, raw);
        changed = true;
      }
      continue;
    }
    const a = appendedAt.get(w.id);
    if (a !== undefined) appended[a] = w;
    else {
      appendedAt.set(w.id, appended.length);
      appended.push(w);
    }
    changed = true;
  }
  if (!changed) return undefined;
  const parts: Buffer[] = [];
  const spans: number[] = new Array<number>(2 * n);
  let out = 0; // output offset
  let copyFrom = 0; // input offset of the pending unchanged run
  const keys = [...replaced.keys()].sort((a, b) => a - b);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const off = index.spans[2 * i]!;
    const len = index.spans[2 * i + 1]!;
    const delta = out - off; // unchanged lines shift by the growth so far
    if (k < keys.length && keys[k] === i) {
      parts.push(bytes.subarray(copyFrom, off));
      const line = Buffer.from(replaced.get(i)!, 'utf8');
      parts.push(line);
      spans[2 * i] = off + delta;
      spans[2 * i + 1] = line.length;
      out = off + delta + line.length;
      copyFrom = off + len;
      k++;
    } else {
      spans[2 * i] = off + delta;
      spans[2 * i + 1] = len;
      out = off + delta + len;
    }
    // the newline after the line (absent only after the last line of a file without one)
    if (off + len < bytes.length) out += 1;
  }
  parts.push(bytes.subarray(copyFrom));
  let total = out;
  if (appended.length) {
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) {
      parts.push(Buffer.from('\n'));
      total += 1;
    }
    for (const w of appended) {
      const line = Buffer.from(serializeTask(w), 'utf8');
      parts.push(line, Buffer.from('\n'));
      spans.push(total, line.length);
      total += line.length + 1;
      lines.push(toRow(w));
      stored?.push(undefined);
    }
  }
  return { bytes: Buffer.concat(parts), spans, lines, ...(stored ? { stored } : {}) };
}
