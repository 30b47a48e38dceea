/**
 * The JSONL store, as the CLI uses it. Readers parse graph.jsonl without any lock (a save is an
 * atomic rename, so a reader sees the old file or the new one). Writers run a pure plan function
 * on a fresh load under the exclusive graph lock and write the result atomically
 * (graph-write.ts: journal entry, rename), then append provenance and write the index. The lock
 * is never held across a spawn, a network call or a sleep (SPEC §1 rule 1).
 *
 * Both paths use the graph index (graph-index.ts) when it describes the file: rows instead of a
 * full parse, whole tasks parsed on demand. "Describes" is decided by the file's identity (one
 * fstat, file-identity.ts) when that is safe, else by hashing every byte; with neither, they
 * parse and validate every line, and leave a fresh index behind. The service keeps its own
 * copy in memory instead (live-graph.ts).
 */
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readFileSync, type BigIntStats } from 'node:fs';
import { WgError } from '../core/errors.js';
import { Graph, isAcyclic } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { Task } from '../core/task.js';
import { lazyArchived } from './archive-ids.js';
import { removeOrphanTemps } from './atomic-write.js';
import { fstatBig, identityOf, racy } from './file-identity.js';
import { duplicateIdError, duplicateIdWarning, parseGraph, wholeTask, type DuplicateId, type GraphFile } from './graph-file.js';
import { buildIndex, hashBytes, indexRows, isPartial, readIndexFile, readLine, scanFile, toRow, writeIndex, type GraphIndex, type IndexFile } from './graph-index.js';
import { commitWithProvenance, GraphChanged, prepareWrite } from './graph-write.js';
import { acquireLock } from './lock.js';
import { appendStaged, formatOperations, settleStaged } from './provenance.js';
import type { WgPaths } from './paths.js';
import { IndexView, type TaskView } from './index-view.js';

export { OPERATIONS_ROTATE_BYTES } from './provenance.js';

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
  /** What failed after the commit (the change stands): for the user. */
  warnings?: string[];
}

/** A write the store must refuse whatever the plan: it would lose data. */
export function checkWrites(writes: Task[], hasTask: (id: string) => boolean, nonTaskLine: (id: string) => number | undefined): void {
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

export const duplicateMap = (dups: readonly DuplicateId[] | undefined): Map<string, readonly number[]> => new Map((dups ?? []).map((d) => [d.id, d.lines]));

/**
 * A plan's writes to ids on more than one line of graph.jsonl: refused (one error naming both
 * lines), or — `skip`, the service — left out with a warning. Returns the writes to make.
 */
export function duplicateWritePolicy(writes: Task[], dups: readonly DuplicateId[] | undefined, opts: StoreOptions): Task[] {
  let out = writes;
  for (const d of dups ?? []) {
    if (!out.some((w) => w.id === d.id)) continue;
    if (opts.duplicateWrites !== 'skip') throw duplicateIdError(d);
    opts.warn?.(`not writing '${d.id}': ${duplicateIdError(d).message.replace(/ — refusing to write it$/, '')}`);
    out = out.filter((w) => w.id !== d.id);
  }
  return out;
}

/** Opens graph.jsonl for reading (the descriptor pins the inode: later reads see these bytes). */
export function openGraph(paths: WgPaths): { fd: number; stat: BigIntStats } {
  let fd: number;
  try {
    fd = openSync(paths.graph, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WgError('not_initialized', `no graph.jsonl in ${paths.dir} — run 'wg init'`);
    throw e;
  }
  return { fd, stat: fstatBig(fd) };
}

/**
 * The same string as readFileSync(path, 'utf8'), which on Node 20 is much slower than reading
 * bytes and decoding them; an all-ASCII file (the usual graph) is decoded as latin1, a plain
 * byte copy. Measured (CPU) on a 54 MB, 100k-task graph: 85–93 ms → ~50 ms; 10k: 5 → 1 ms.
 */
const decode = (bytes: Buffer): string => (isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'));

export interface LoadedState {
  state: GraphIndex;
  /** Taken by identity, without hashing: a writer verifies the bytes while rewriting them. */
  trusted: boolean;
  /** Built (or re-headed) here: the index file on disk does not describe the file yet. */
  rebuilt: boolean;
}

/**
 * The state of the file open as `fd`: from the index when its header names this file's identity
 * (and the check is not racy), else when it names the file's hash, else from a full validated
 * parse (SPEC §1 rule 6). `index` is the index file, already read if the caller has it.
 */
export function loadState(fd: number, stat: BigIntStats, index: IndexFile | undefined, opts: { keepStored?: boolean; trust?: boolean } = {}): LoadedState {
  const ident = identityOf(stat);
  if (index && opts.trust !== false && index.header.ident === ident && !racy(stat, index.stat)) {
    const state = indexRows(index, { keepStored: !!opts.keepStored });
    if (state) return { state, trusted: true, rebuilt: false };
  }
  if (index && index.header.size === Number(stat.size)) {
    const { hash, size, spans } = scanFile(fd);
    if (index.header.hash === hash && index.header.size === size && index.header.n === spans.length / 2) {
      const state = indexRows(index, { keepStored: !!opts.keepStored, spans, ident });
      if (state) return { state, trusted: false, rebuilt: index.header.ident !== ident };
    }
  }
  // Parse (and hash) the bytes read here: the index describes exactly them.
  // Only rows are kept (the index's), so whole tasks die line by line during the parse.
  const bytes = readFileSync(fd);
  const file = parseGraph(decode(bytes), 'graph.jsonl', toRow);
  const state = { ...buildIndex(file, bytes, hashBytes(bytes), ident, (index?.header.gen ?? 0) + 1), acyclic: isAcyclic(new Graph(file.tasks)) };
  return { state, trusted: false, rebuilt: true };
}

/** A Graph over the rows of `state`; whole tasks parsed on demand from `line(i)`. */
export function indexedGraph(state: GraphIndex, line: (i: number) => string): Graph {
  const rows: Task[] = [];
  for (const l of state.lines) if (l !== null && typeof l === 'object') rows.push(l);
  // Line numbers by id, built on the first whole-task read only (`ready` never needs it;
  // at 100k tasks the map is ~8 MB).
  let lineOf: Map<string, number> | undefined;
  const graph = new Graph(rows, (id) => {
    if (!lineOf) {
      lineOf = new Map();
      state.lines.forEach((l, i) => {
        if (l !== null && typeof l === 'object') lineOf!.set(l.id, i);
      });
    }
    const i = lineOf.get(id)!;
    return wholeTask(line(i), i, id);
  });
  graph.knownAcyclic = state.acyclic === true;
  graph.duplicates = duplicateMap(state.duplicates);
  return graph;
}

export class JsonlStore {
  constructor(
    readonly paths: WgPaths,
    private readonly opts: StoreOptions = {},
  ) {}

  /** Reads go on past a repeated id, as the Rust tool does (last line wins), with a warning. */
  private warnDuplicates(dups: readonly DuplicateId[] | undefined): void {
    if (dups?.length && this.opts.warn) for (const d of dups) this.opts.warn(duplicateIdWarning(d));
  }

  /** Lock-free read of every whole task (for commands that print or scan all fields). */
  load(): Snapshot {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.paths.graph);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WgError('not_initialized', `no graph.jsonl in ${this.paths.dir} — run 'wg init'`);
      throw e;
    }
    const file = parseGraph(decode(bytes));
    this.warnDuplicates(file.duplicates);
    const graph = new Graph(file.tasks);
    graph.archived = lazyArchived(this.paths);
    graph.duplicates = duplicateMap(file.duplicates);
    graph.archived = lazyArchived(this.paths);
    return { graph, file };
  }

  /**
   * Lock-free read for the hot read-only commands (`ready`, `status`, `list`, `why-blocked`):
   * rows from the index, whole tasks parsed on demand through a descriptor kept open (it pins
   * the file that was checked; it closes when this short-lived CLI exits). Same answers as load().
   */
  loadFast(): Graph {
    const { fd, stat } = openGraph(this.paths);
    const { state, rebuilt } = loadState(fd, stat, readIndexFile(this.paths.dir));
    if (rebuilt) writeIndex(this.paths.dir, state, stat.ctimeNs);
    this.warnDuplicates(state.duplicates);
    const graph = indexedGraph(state, (i) => readLine(fd, state.spans[2 * i]!, state.spans[2 * i + 1]!));
    graph.archived = lazyArchived(this.paths);
    return graph;
  }

  /**
   * Point reads (`wg show`): one task, its dependencies and dependents, from the index text
   * without parsing all of it — when the index describes the file by identity. Otherwise the
   * rows of loadFast(), which answer the same.
   */
  view(): TaskView {
    const { fd, stat } = openGraph(this.paths);
    const index = readIndexFile(this.paths.dir);
    if (index && index.header.ident === identityOf(stat) && !racy(stat, index.stat)) {
      const dups = index.header.dups;
      const v = IndexView.open(index, fd);
      if (v) {
        this.warnDuplicates(dups);
        return v;
      }
    }
    closeSync(fd);
    return this.loadFast();
  }

  /**
   * Read-modify-write under the graph lock. `plan` is a pure function of the fresh snapshot;
   * if it throws, nothing is written. A plan with no effective change writes nothing.
   */
  async mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: MutationContext): Promise<MutationOutcome<R>> {
    const lock = await acquireLock(this.paths.lock);
    try {
      removeOrphanTemps(this.paths.graph);
      for (let attempt = 0; ; attempt++) {
        const { fd, stat } = openGraph(this.paths);
        try {
          // Trusting the identity is safe here: the write below hashes every byte it copies and
          // refuses (GraphChanged) if they are not the bytes the plan ran on; then the second
          // attempt hashes first.
          const { state, rebuilt } = loadState(fd, stat, readIndexFile(this.paths.dir), { keepStored: true, trust: attempt === 0 });
          // Provenance an earlier write staged: appended if that write committed.
          const owed = settleStaged(this.paths, state.hash, ctx.now);
          const graph = indexedGraph(state, (i) => readLine(fd, state.spans[2 * i]!, state.spans[2 * i + 1]!));
          graph.archived = lazyArchived(this.paths);
          let p = plan(graph);
          // A write to a repeated id refuses (one error, no warning first); any other warns.
          const writes = duplicateWritePolicy(p.writes, state.duplicates, this.opts);
          if (writes !== p.writes) p = { ...p, writes };
          this.warnDuplicates(state.duplicates);
          checkWrites(
            p.writes,
            (id) => graph.has(id),
            (id) => {
              const i = state.lines.indexOf(id);
              return i >= 0 ? i + 1 : undefined;
            },
          );
          let prepared;
          try {
            prepared = prepareWrite(this.paths.graph, fd, state, p.writes, graph);
          } catch (e) {
            if (e instanceof GraphChanged && attempt === 0) continue;
            throw e;
          }
          if (!prepared) {
            if (rebuilt) writeIndex(this.paths.dir, state, stat.ctimeNs);
            return { result: p.result, written: false };
          }
          const text = formatOperations(p.ops, ctx);
          // Staged before the commit: if this cannot be written, nothing is.
          const warnings = commitWithProvenance(this.paths, prepared, owed, text);
          // Committed: the change stands, whatever fails from here on.
          const { ctimeNs } = fstatBig(prepared.fd);
          closeSync(prepared.fd);
          const unlogged = appendStaged(this.paths, owed, text, ctx.now);
          writeIndex(this.paths.dir, prepared.next, ctimeNs);
          return { result: p.result, written: true, warnings: unlogged ? [...warnings, unlogged] : warnings };
        } finally {
          closeSync(fd);
        }
      }
    } finally {
      lock.release();
    }
  }

}
