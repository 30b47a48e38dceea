/**
 * The service's copy of the graph, kept in memory: rows (graph-index.ts), line spans, the
 * dependents index, and whole tasks parsed on demand through a descriptor pinned to the file
 * the copy describes. It costs what changes, not what exists:
 *
 * - unchanged file (same stat: identity and ctime) → `refresh()` reads nothing;
 * - a write by another wg process → the change journal (journal.ts) says which lines changed
 *   and gives their new text: only those lines are parsed (and validated);
 * - anything the journal does not explain (a hand edit, git, the Rust tool, a gap) → a full,
 *   validated reload, exactly as a CLI reader would load (SPEC §1 rule 6);
 * - its own writes (`mutate`) go through the one write path (graph-write.ts) and are applied to
 *   the copy directly.
 *
 * Every change is recorded for the holder (`takeChanges()`): which task ids changed, whether the
 * structure (tasks, edges, cycle_config) changed, or whether everything was reloaded — so the
 * service's own indexes (ready tasks, claims, evaluations) update incrementally too.
 *
 * A Graph from `graph()` shares the copy's maps: take a new one after every refresh or mutate.
 */
import { close, closeSync } from 'node:fs';
import { WgError } from '../core/errors.js';
import { Graph, type CycleAnalysis } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { Task } from '../core/task.js';
import { isTerminal, type Status } from '../core/transitions.js';
import { removeOrphanTemps } from './atomic-write.js';
import { fstatBig, identityOf, statBig, statKeyOf } from './file-identity.js';
import { wholeTask } from './graph-file.js';
import { readIndexFile, readLine, toRow, writeIndex, type GraphIndex } from './graph-index.js';
import { commitWithProvenance, GraphChanged, prepareWrite } from './graph-write.js';
import { JournalCursor, type JournalEntry } from './journal.js';
import { entryLines } from './journal-replay.js';
import { LineSpans } from './line-spans.js';
import { LiveIndexes } from './live-indexes.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';
import { appendStaged, formatOperations, settleStaged } from './provenance.js';
import { checkWrites, duplicateMap, duplicateWritePolicy, loadState, openGraph, type MutationContext, type MutationOutcome } from './store.js';
import { lazyArchived } from './archive-ids.js';

export interface GraphChange {
  /** Everything may have changed (a full load): rebuild what depends on the graph. */
  reload: boolean;
  /** Tasks whose line changed or was added (when not a reload). */
  ids: Set<string>;
  /** A task was added, or an `after` or `cycle_config` changed: cycles and closures may differ. */
  structural: boolean;
}

const isRow = (l: unknown): l is Task => l !== null && typeof l === 'object';

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** The copy's state: GraphIndex without its flat spans, which live in a LineSpans (edited in place). */
type CopyState = Omit<GraphIndex, 'spans'>;

export class LiveGraph {
  private state!: CopyState;
  private spans!: LineSpans;
  private fd: number | undefined;
  /** Descriptors of files that writers have since replaced, closed by `settle()` (see pin). */
  private retired: number[] = [];
  private statKey = '';
  private readonly rows = new Map<string, Task>();
  private readonly lineOf = new Map<string, number>();
  private readonly whole = new Map<string, Task>();
  private readonly idx: LiveIndexes;
  private view: Graph | undefined;
  private changes = 0;
  private cycles: CycleAnalysis | undefined;
  private pending: GraphChange = { reload: true, ids: new Set(), structural: true };
  private readonly cursor: JournalCursor;
  /**
   * Counters for the log, the bench and the tests: full loads, journal entries replayed, own
   * writes, and task lines parsed from the journal (a one-line change parses one line).
   */
  readonly stats = { reloads: 0, replayed: 0, writes: 0, parsed: 0 };

  /**
   * `warn`: where a write left out goes — a plan's write to an id on more than one line of
   * graph.jsonl is skipped (the service's other work goes on; readiness never hands it such a task).
   */
  /**
   * `keepStored` (default true): keep each index entry's JSON text, so that an own write
   * (`mutate`) writes the index back without re-serializing every row. A holder that never
   * writes through this copy (the dashboards) passes false: the texts keep the whole index text
   * alive (~3 MiB at 10k tasks).
   */
  constructor(
    readonly paths: WgPaths,
    private readonly warn?: (message: string) => void,
    private readonly opts: { keepStored?: boolean } = {},
  ) {
    this.cursor = new JournalCursor(paths.dir);
    this.idx = new LiveIndexes((id) => this.lineOf.get(id) ?? Infinity);
    this.reload();
  }

  /**
   * Bumped on every change of the copy (a reload, a replayed entry, an own write): compare it
   * to tell whether anything derived from the graph is stale. Monotonic within this process
   * (the index's own `gen` counts writes on disk and can restart after a rebuild).
   */
  get generation(): number {
    return this.changes;
  }

  /** Passes over every line's span since the last load or own write (a replayed change makes none). */
  get spanPasses(): number {
    return this.spans.rebuilds;
  }

  /** The current graph (rows; whole tasks on demand). Same object until the copy changes. */
  graph(): Graph {
    return (this.view ??= Graph.fromParts({
      tasks: this.rows,
      materialize: (id) => this.materialize(id),
      dependents: this.idx.dependents,
      ...(this.cycles ? { cycles: this.cycles } : {}),
      knownAcyclic: this.state.acyclic === true,
      ...(this.state.duplicates?.length ? { duplicates: duplicateMap(this.state.duplicates) } : {}),
      position: (id) => this.lineOf.get(id) ?? Infinity,
      archived: lazyArchived(this.paths),
    }));
  }

  /**
   * Ids of the tasks with this status (a live set: copy it before writing). Terminal statuses
   * (done, failed, abandoned: most of a large graph) are not indexed: computed by a scan.
   */
  withStatus(status: Status): ReadonlySet<string> {
    if (isTerminal(status)) return new Set([...this.rows.values()].filter((t) => t.status === status).map((t) => t.id));
    return this.idx.withStatus(status);
  }

  /** Ids of the tasks that have an `assigned` claimant (any status). */
  claimed(): ReadonlySet<string> {
    return this.idx.claimed;
  }

  /** The earliest moment after `nowMs` when a time gate (not_before / ready_after) of an open or incomplete task opens. */
  nextGateMs(nowMs: number): number | undefined {
    return this.idx.nextGateMs(nowMs);
  }

  /** The current graph, refreshed first (the apply path's PlanStore shape, src/apply.ts). */
  load(): { graph: Graph } {
    this.refresh();
    return { graph: this.graph() };
  }

  /** What changed since the last call. */
  takeChanges(): GraphChange {
    const c = this.pending;
    this.pending = { reload: false, ids: new Set(), structural: false };
    return c;
  }

  /**
   * Brings the copy up to date with graph.jsonl. One stat when nothing changed. Returns whether
   * anything changed.
   */
  refresh(): boolean {
    const st = statBig(this.paths.graph);
    if (!st) throw new WgError('not_initialized', `no graph.jsonl in ${this.paths.dir} — run 'wg init'`);
    if (statKeyOf(st) === this.statKey) return false;
    const { fd, stat } = openGraph(this.paths);
    if (statKeyOf(stat) === this.statKey) {
      closeSync(fd);
      return false;
    }
    const target = identityOf(stat);
    let ok = false;
    if (target !== this.state.ident) {
      try {
        ok = this.replay(target);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      closeSync(fd);
      this.reload();
      return true;
    }
    this.pin(fd, statKeyOf(stat));
    return true;
  }

  /**
   * Read-modify-write under the graph lock, as JsonlStore.mutate, on the copy: the plan sees
   * the current graph (refreshed under the lock), and its writes are applied to the copy.
   */
  async mutate<R>(plan: (graph: Graph) => Plan<R>, ctx: MutationContext): Promise<MutationOutcome<R>> {
    const lock = await acquireLock(this.paths.lock);
    try {
      removeOrphanTemps(this.paths.graph);
      for (let attempt = 0; ; attempt++) {
        this.refresh();
        // Provenance an earlier write staged: appended if that write committed.
        const owed = settleStaged(this.paths, this.state.hash, ctx.now);
        const graph = this.graph();
        let p = plan(graph);
        const writes = duplicateWritePolicy(p.writes, this.state.duplicates, { duplicateWrites: 'skip', ...(this.warn ? { warn: this.warn } : {}) });
        if (writes !== p.writes) p = { ...p, writes };
        checkWrites(
          p.writes,
          (id) => this.rows.has(id),
          (id) => {
            const i = this.state.lines.indexOf(id);
            return i >= 0 ? i + 1 : undefined;
          },
        );
        let prepared;
        try {
          prepared = prepareWrite(this.paths.graph, this.fd!, { ...this.state, spans: this.spans.flat() }, p.writes, graph, (id) => this.lineOf.get(id));
        } catch (e) {
          if (e instanceof GraphChanged && attempt === 0) {
            // The file is not what the copy says (changed in place behind our back): reload by
            // hashing (not by identity, which is what misled us), re-plan.
            this.reload(false);
            continue;
          }
          throw e;
        }
        if (!prepared) return { result: p.result, written: false };
        const text = formatOperations(p.ops, ctx);
        const warnings = commitWithProvenance(this.paths, prepared, owed, text);
        // Committed: the change stands, whatever fails from here on.
        const unlogged = appendStaged(this.paths, owed, text, ctx.now);
        if (unlogged) warnings.push(unlogged);
        const after = fstatBig(prepared.fd);
        writeIndex(this.paths.dir, prepared.next, after.ctimeNs);
        const before = this.state;
        this.install(prepared.next);
        for (const id of prepared.changed) {
          const i = this.lineOf.get(id) ?? before.lines.length + this.appendedSoFar(before, id);
          this.setRow(i, this.state.lines[i] as Task);
        }
        this.pin(prepared.fd, statKeyOf(after));
        this.stats.writes++;
        return { result: p.result, written: true, warnings };
      }
    } finally {
      lock.release();
    }
  }

  /** Line index of an appended task in the new state (ids not yet in lineOf are new, in order). */
  private appendedSoFar(before: CopyState, id: string): number {
    for (let i = before.lines.length; i < this.state.lines.length; i++) {
      const l = this.state.lines[i];
      if (isRow(l) && l.id === id) return i - before.lines.length;
    }
    throw new Error(`internal error: written task '${id}' has no line`);
  }

  /**
   * Closes the descriptors of replaced files, asynchronously; the service calls it after each
   * tick. Such a descriptor holds the last reference to the old inode: closing it frees ~40 ms of
   * kernel work at 100k tasks, which even off the event loop took a 2-core machine's CPU from the
   * tick (4–20 ms more wall time after a `wg log`, measured), so it waits for the tick to end.
   */
  settle(): void {
    for (const fd of this.retired.splice(0)) close(fd, () => undefined);
  }

  /** Closes every descriptor (the holder is done with the copy). */
  close(): void {
    for (const fd of this.retired.splice(0)) closeSync(fd);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  // ---- internals ------------------------------------------------------------------------------

  private pin(fd: number, statKey: string): void {
    // Closed later, off the event loop (settle()); a holder that never settles keeps a few.
    if (this.fd !== undefined && this.fd !== fd) {
      this.retired.push(this.fd);
      if (this.retired.length > 8) close(this.retired.shift()!, () => undefined);
    }
    this.fd = fd;
    this.statKey = statKey;
  }

  private materialize(id: string): Task {
    let t = this.whole.get(id);
    if (!t) {
      const i = this.lineOf.get(id)!;
      t = wholeTask(readLine(this.fd!, this.spans.offset(i), this.spans.len(i)), i, id);
      this.whole.set(id, t);
    }
    return t;
  }

  /** Full, validated load, as a CLI reader loads (index by identity or hash, else a full parse). */
  private reload(trust = true): void {
    // The cursor first: entries appended while we load are then replayed (or skipped as
    // already reflected), never missed.
    this.cursor.seekEnd();
    const { fd, stat } = openGraph(this.paths);
    let loaded;
    try {
      loaded = loadState(fd, stat, readIndexFile(this.paths.dir), { keepStored: this.opts.keepStored !== false, trust });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (loaded.rebuilt) writeIndex(this.paths.dir, loaded.state, stat.ctimeNs);
    this.install(loaded.state);
    this.rows.clear();
    this.lineOf.clear();
    this.whole.clear();
    this.idx.clear();
    const lines = this.state.lines;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (!isRow(l)) continue;
      this.rows.set(l.id, l);
      this.lineOf.set(l.id, i);
      this.idx.row(undefined, l);
    }
    this.cycles = undefined;
    this.view = undefined;
    this.pin(fd, statKeyOf(stat));
    this.pending = { reload: true, ids: new Set(), structural: true };
    this.stats.reloads++;
    this.changes++;
  }

  /** Replays journal entries from the copy's identity to `target`; false when they do not reach it. */
  private replay(target: string): boolean {
    const records = this.cursor.read();
    if (!records) return false;
    let cur = this.state.ident;
    for (const r of records) {
      if (cur === target) break;
      if (r.entry && r.entry.from === cur) {
        this.apply(r.entry);
        cur = r.entry.to;
        this.stats.replayed++;
      }
      this.cursor.commit(r);
    }
    return cur === target;
  }

  /** One journal entry applied to the copy (journal-replay.ts; spans edited in place). Throws if it does not fit. */
  private apply(e: JournalEntry): void {
    const s = this.state;
    const n = s.lines.length;
    const { replaced, appended } = entryLines(e, s.lines, this.spans, s.size, (id) => this.rows.has(id));
    this.stats.parsed += e.set.length;
    for (const r of replaced) this.spans.replace(r.i, r.len);
    for (const a of appended) this.spans.append(a.offset, a.len);
    this.state = { ...s, hash: e.hash, size: e.size, ident: e.to, gen: e.g, ...(e.acyclic ? { acyclic: true } : { acyclic: false }) };
    for (const r of replaced) {
      this.state.lines[r.i] = toRow(r.task);
      if (this.state.stored) this.state.stored[r.i] = undefined;
      this.setRow(r.i, this.state.lines[r.i] as Task, r.task);
    }
    appended.forEach((a, j) => {
      this.state.lines.push(toRow(a.task));
      this.state.stored?.push(undefined);
      this.setRow(n + j, this.state.lines[n + j] as Task, a.task);
    });
  }

  /** Takes a whole GraphIndex (a load, an own write) as the copy's state; its spans into a LineSpans. */
  private install(index: GraphIndex): void {
    const { spans, ...state } = index;
    this.state = state;
    this.spans = new LineSpans(spans, state.lines.length);
  }

  /** Installs the row at line `i` (changed or new) into the maps, and records the change. */
  private setRow(i: number, row: Task, whole?: Task): void {
    const old = this.rows.get(row.id);
    const structural = !old || !sameList(old.after, row.after) || (old.cycle_config === undefined) !== (row.cycle_config === undefined) || JSON.stringify(old.cycle_config) !== JSON.stringify(row.cycle_config);
    this.rows.set(row.id, row);
    this.lineOf.set(row.id, i);
    this.idx.row(old, row);
    if (whole) this.whole.set(row.id, whole);
    else this.whole.delete(row.id);
    // A cycle analysis depends on structure only: kept across other changes (at 100k tasks with
    // a loop in the graph, recomputing it costs ~100 ms).
    this.cycles ??= this.view?.computedCycles();
    this.view = undefined;
    this.changes++;
    if (structural) this.cycles = undefined;
    this.pending.ids.add(row.id);
    if (structural) this.pending.structural = true;
  }
}
