/**
 * This process's copy of the graph's rows, kept fresh from the change feed. Each write
 * transaction records the ids it wrote in `wg_changes`, stamped with its transaction id; a
 * refresh asks for the ids written by transactions that were not visible in the snapshot of the
 * previous refresh (`pg_visible_in_snapshot`), so commits that land out of order are never
 * missed — unlike a counter, which commits in a different order than it is drawn. A one-shot
 * CLI pays one full load of the rows; a long-lived process (the service, a bench worker) pays
 * for what changed.
 *
 * Whole tasks (the exact line, every field) are fetched on demand: a plan that needs one it does
 * not have is run again once it is fetched (plans are pure, so a re-run is free of effects).
 *
 * What is derived from the rows is kept up to date row by row, as the JSONL side's live graph
 * does (the same LiveIndexes and ReadySet classes), so a claim costs what changed, not the
 * graph's size: the dependents index, tasks by status, the ready set (`ready(now)`), and the
 * graph object itself (`graph()` shares the copy's maps: O(1) after a change, not a rebuild).
 */
import { Graph, isAcyclic, type CycleAnalysis } from '../../core/graph.js';
import { ReadySet } from '../../core/ready-set.js';
import { DispatchQueue } from '../../core/dispatch-queue.js';
import { firstInDispatchOrder } from '../../core/readiness.js';
import type { Task } from '../../core/task.js';
import { isTerminal, type Status } from '../../core/transitions.js';
import { parseTaskLine } from '../graph-file.js';
import { PARTIAL } from '../graph-index.js';
import { LiveIndexes } from '../live-indexes.js';
import type { PoolClient } from './connect.js';

interface CachedRow {
  seq: number;
  version: number;
  row: Task;
}

export interface NodeRow {
  id: string;
  seq: number;
  kind: string;
  version: number;
  row: string | null;
  line?: string;
}

const SNAPSHOT = /^\d+:\d+:[\d,]*$/;

const EMPTY_CHANGE = (): Change => ({ reload: false, ids: new Set(), structural: false });
interface Change {
  reload: boolean;
  ids: Set<string>;
  structural: boolean;
}

export class RowCache {
  private rows = new Map<string, CachedRow>();
  /** The same rows as Tasks, in seq order (the Graph's `tasks`, shared, not copied). */
  private tasks = new Map<string, Task>();
  private readonly idx = new LiveIndexes((id) => this.rows.get(id)?.seq ?? Infinity);
  /** Kept across changes that leave the structure (tasks, `after`, cycle_config) as it was. */
  private cycles: CycleAnalysis | undefined;
  private readySet: ReadySet | undefined;
  /** What changed since the ready set last looked (its own record: takeChanges() is the service's). */
  private forReady: Change = { reload: true, ids: new Set(), structural: true };
  private readyMoved = true;
  private readonly queue = new DispatchQueue((id) => this.rows.get(id)?.seq ?? Infinity);
  /** Ids of non-task nodes (resources, kinds of newer tools), with their kind. */
  private others = new Map<string, string>();
  private whole = new Map<string, { version: number; task: Task }>();
  private snapshot: string | undefined;
  private ordered = true;
  private maxSeq = 0;
  /** The last graph handed out, until a row changes (read-mostly callers build it once). */
  private built: { graph: Graph; missing: Set<string> } | undefined;
  /** Known to have no dependency cycle; re-checked only after a change to some `after`. */
  private acyclic: boolean | undefined;
  /** Whole tasks for every row (the service's copy: its steps read any task whole, synchronously). */
  keepWhole = false;
  /** What changed since the last takeChanges(): ids (read or written), or everything. */
  private changedIds = new Set<string>();
  private reloaded = true;
  private structural = true;
  /** For tests and logs. */
  readonly stats = { reloads: 0, refreshed: 0, fetchedWhole: 0 };

  /** Has been loaded (a long-lived copy): worth trying a plan on before refreshing. */
  get warm(): boolean {
    return this.snapshot !== undefined;
  }

  /** Forget everything (after a reconnect the next refresh reloads). */
  reset(): void {
    this.clearRows();
    this.others.clear();
    this.whole.clear();
    this.snapshot = undefined;
    this.maxSeq = 0;
  }

  /**
   * Brings the copy up to date, inside the caller's transaction. `prefix` is one or more
   * statements without parameters sent ahead in the same round trip (`BEGIN; SELECT now()`):
   * their results come back in `before`. Returns the ids that changed.
   */
  async refresh(client: PoolClient, prefix = ''): Promise<{ reload: boolean; ids: string[]; before: Array<{ rows: Array<Record<string, unknown>> }> }> {
    const n = prefix ? prefix.split(';').filter((x) => x.trim()).length : 0;
    let ran: Array<{ rows: Array<Record<string, unknown>> }> | undefined;
    if (this.snapshot && SNAPSHOT.test(this.snapshot)) {
      const old = this.snapshot;
      // One round trip, two statements: the new snapshot is taken first, so a commit between
      // the two is fetched now and again next time (harmless), never missed.
      const all = (await client.query(
        `${prefix}SELECT pg_current_snapshot()::text AS snap, (SELECT pruned_below FROM wg_state) >= pg_snapshot_xmin('${old}') AS stale;
         SELECT c.id AS cid, n.id, n.seq, n.kind, n.version, n.row${this.keepWhole ? ', n.line' : ''}
           FROM (SELECT DISTINCT id FROM wg_changes
                  WHERE txid >= pg_snapshot_xmin('${old}') AND NOT pg_visible_in_snapshot(txid, '${old}')) c
           LEFT JOIN wg_nodes n ON n.id = c.id`,
      )) as unknown as Array<{ rows: Array<Record<string, unknown>> }>;
      const before = all.slice(0, n);
      const results = all.slice(n);
      const head = results[0]!.rows[0] as { snap: string; stale: boolean };
      if (!head.stale) {
        const ids: string[] = [];
        for (const r of results[1]!.rows as unknown as Array<NodeRow & { cid: string }>) {
          ids.push(r.cid);
          if (r.id === null || r.id === undefined) this.remove(r.cid);
          else this.put(r);
        }
        this.snapshot = head.snap;
        if (ids.length) this.stats.refreshed += ids.length;
        return { reload: false, ids, before };
      }
      ran = before; // the prefix ran already; the copy is too old for the feed: reload
      prefix = '';
    }
    const all = (await client.query(
      `${prefix}SELECT pg_current_snapshot()::text AS snap;
       SELECT id, seq, kind, version, row${this.keepWhole ? ', line' : ''} FROM wg_nodes WHERE id IS NOT NULL ORDER BY seq`,
    )) as unknown as Array<{ rows: Array<Record<string, unknown>> }>;
    const before = ran ?? all.slice(0, n);
    const results = prefix ? all.slice(n) : all;
    this.clearRows();
    this.others.clear();
    this.reloaded = true;
    for (const r of results[1]!.rows as unknown as NodeRow[]) this.put(r);
    this.ordered = true;
    this.snapshot = (results[0]!.rows[0] as { snap: string }).snap;
    this.stats.reloads++;
    return { reload: true, ids: [], before };
  }

  /** Takes a node as read from the database (a newer version replaces an older one). */
  put(r: NodeRow): void {
    if (r.kind !== 'task') {
      this.others.set(r.id, r.kind);
      return;
    }
    const cur = this.rows.get(r.id);
    if (cur && cur.version > r.version) return;
    if (!cur || cur.version !== r.version) {
      const row = Object.assign(JSON.parse(r.row!) as Task, { [PARTIAL]: true });
      this.setRow(cur, { seq: r.seq, version: r.version, row });
    }
    if (r.line !== undefined) {
      const w = this.whole.get(r.id);
      if (!w || w.version < r.version) this.whole.set(r.id, { version: r.version, task: parseTaskLine(r.line, r.seq, 'wg_nodes seq') });
    }
  }

  /** Our own write, committed: the task object itself is the whole task at `version`. */
  putWritten(task: Task, row: Task, seq: number, version: number): void {
    this.setRow(this.rows.get(task.id), { seq, version, row: Object.assign(row, { [PARTIAL]: true }) });
    this.whole.set(task.id, { version, task });
  }

  private setRow(cur: CachedRow | undefined, next: CachedRow): void {
    const id = next.row.id;
    if (!cur) this.noteSeq(next.seq);
    this.changed(cur?.row, next.row);
    this.rows.set(id, next);
    this.tasks.set(id, next.row);
    this.idx.row(cur?.row, next.row);
  }

  private clearRows(): void {
    this.rows.clear();
    this.tasks.clear();
    this.idx.clear();
    this.maxSeq = 0;
    this.ordered = true;
    this.built = undefined;
    this.acyclic = undefined;
    this.cycles = undefined;
    this.forReady = { reload: true, ids: new Set(), structural: true };
  }

  /** What changed in the copy since the last call (the service's task index is fed with it). */
  takeChanges(): { reload: boolean; ids: Set<string>; structural: boolean } {
    const out = { reload: this.reloaded, ids: this.changedIds, structural: this.structural };
    this.reloaded = false;
    this.structural = false;
    this.changedIds = new Set();
    return out;
  }

  private changed(before: Task | undefined, after: Task): void {
    this.changedIds.add(after.id);
    this.forReady.ids.add(after.id);
    // A cycle analysis the last graph computed outlives changes that leave the structure alone.
    this.cycles ??= this.built?.graph.computedCycles();
    this.built = undefined;
    const a = before?.after ?? [];
    const b = after.after ?? [];
    if (!before || a.length !== b.length || a.some((x, i) => x !== b[i]) || JSON.stringify(before.cycle_config) !== JSON.stringify(after.cycle_config)) {
      this.structural = this.forReady.structural = true;
      this.cycles = undefined;
      if (before) this.acyclic = undefined;
    }
    if (!before && b.length) this.acyclic = undefined;
  }

  private remove(id: string): void {
    this.changedIds.add(id);
    this.forReady.ids.add(id);
    this.structural = this.forReady.structural = true;
    this.built = undefined;
    this.acyclic = undefined;
    this.cycles = undefined;
    const cur = this.rows.get(id);
    if (cur) this.idx.drop(cur.row);
    this.rows.delete(id);
    this.tasks.delete(id);
    this.others.delete(id);
    this.whole.delete(id);
  }

  /** Keeps `ordered` true while rows arrive in seq order (a refresh may bring an older seq). */
  private noteSeq(seq: number): void {
    if (seq < this.maxSeq) this.ordered = false;
    else this.maxSeq = seq;
  }

  /** The row held for a task (structure and readiness fields). */
  row(id: string): Task | undefined {
    return this.rows.get(id)?.row;
  }

  version(id: string): number | undefined {
    return this.rows.get(id)?.version;
  }

  seq(id: string): number | undefined {
    return this.rows.get(id)?.seq;
  }

  hasTask(id: string): boolean {
    return this.rows.has(id);
  }

  otherKind(id: string): string | undefined {
    return this.others.get(id);
  }

  get size(): number {
    return this.rows.size;
  }

  /** Ids of the tasks with a non-terminal `status` (kept row by row); a terminal one is a scan. */
  withStatus(status: Status): ReadonlySet<string> {
    if (isTerminal(status)) return new Set([...this.tasks.values()].filter((t) => t.status === status).map((t) => t.id));
    return this.idx.withStatus(status);
  }

  /**
   * The ready tasks at `now`, brought up to date from what changed since the last look (the
   * changed rows and their dependents are asked again; a reload or a structural change in a
   * graph with a cycle asks everything). Read-only for the caller.
   */
  ready(now: Date): ReadySet {
    const g = this.graph(new Set());
    const c = this.forReady;
    if (!this.readySet) {
      this.readySet = new ReadySet(g, now);
      this.readySet.trackAdded = true;
      this.readyMoved = true;
    } else if ((c.reload || c.ids.size || c.structural) && this.readySet.update(g, c, now)) this.readyMoved = true;
    this.forReady = EMPTY_CHANGE();
    if (this.readySet.advance(g, now)) this.readyMoved = true;
    // The dispatch order's head follows: rows that changed and tasks that became ready.
    const added = this.readySet.takeAdded();
    if (added.all || c.reload) this.queue.invalidate();
    else {
      this.queue.note(c.ids, this.readySet, this.tasks);
      this.queue.note(added.ids, this.readySet, this.tasks);
    }
    return this.readySet;
  }

  /** Did the ready set change since the last call? */
  takeReadyMoved(): boolean {
    const m = this.readyMoved;
    this.readyMoved = false;
    return m;
  }

  /**
   * `claim --next`'s candidates: up to `k` ready tasks that pass `keep`, in dispatch order
   * (core/readiness.ts) — what byDispatchOrder(readyTasks(…)) would list first, at the cost of
   * the ready set, not of the graph. `only`: look at these ids only (the dispatcher's one task).
   */
  candidates(now: Date, keep: (t: Task) => boolean, k: number, only?: ReadonlySet<string>): string[] {
    const ready = this.ready(now);
    if (only) {
      const pool = [...only].filter((id) => ready.has(id)).map((id) => this.tasks.get(id)!).filter(keep);
      return firstInDispatchOrder(pool, k, (id) => this.rows.get(id)?.seq ?? Infinity).map((t) => t.id);
    }
    return this.queue.first(k, keep, ready, this.tasks).map((t) => t.id);
  }

  /**
   * The graph of rows in file order; a whole task not fetched yet is recorded in `missing`
   * (and the plan that asked is run again once it is fetched).
   */
  graph(missing: Set<string>): Graph {
    // Whole tasks fetched since the graph was built are seen by its materializer (same maps);
    // only the `missing` set must be the caller's.
    if (this.built) {
      this.built.missing = missing;
      return this.built.graph;
    }
    if (!this.ordered) {
      // A refresh brought a row older than one held (commits land out of order): re-sort.
      this.rows = new Map([...this.rows.entries()].sort((a, b) => a[1].seq - b[1].seq));
      this.tasks = new Map([...this.rows.entries()].map(([id, r]) => [id, r.row]));
      this.ordered = true;
    }
    const rows = this.rows;
    const whole = this.whole;
    const built = { graph: undefined as unknown as Graph, missing };
    built.graph = Graph.fromParts({
      tasks: this.tasks,
      materialize: (id) => {
        const w = whole.get(id);
        if (w && w.version === rows.get(id)?.version) return w.task;
        built.missing.add(id);
        throw new NeedWhole(id);
      },
      dependents: this.idx.dependents,
      ...(this.cycles ? { cycles: this.cycles } : {}),
      position: (id) => rows.get(id)?.seq ?? Infinity,
    });
    this.acyclic ??= isAcyclic(built.graph);
    built.graph.knownAcyclic = this.acyclic;
    this.built = built;
    return built.graph;
  }

  /** Is the whole task held at the row's version? */
  holdsWhole(id: string): boolean {
    const v = this.rows.get(id)?.version;
    return v !== undefined && this.whole.get(id)?.version === v;
  }

  /** Ids whose whole task is not held at the row's version. */
  wholeMissing(): string[] {
    const out: string[] = [];
    for (const [id, r] of this.rows) if (this.whole.get(id)?.version !== r.version) out.push(id);
    return out;
  }

  /** A graph of whole tasks in file order (call after fetching wholeMissing()). */
  wholeGraph(): Graph {
    const missing = new Set<string>();
    const g = this.graph(missing);
    return new Graph([...g.tasks.keys()].map((id) => g.get(id)!));
  }

  /** Fetches whole tasks (and their current rows) into the copy. */
  async fetchWhole(client: PoolClient, ids: string[], lock = ''): Promise<NodeRow[]> {
    const r = await client.query<NodeRow>(`SELECT id, seq, kind, version, row, line FROM wg_nodes WHERE id = ANY($1::text[]) ORDER BY seq ${lock}`, [ids]);
    for (const n of r.rows) this.put(n);
    this.stats.fetchedWhole += r.rows.length;
    return r.rows;
  }
}

/** Thrown by a row graph asked for a whole task it has not fetched yet. */
export class NeedWhole extends Error {
  constructor(readonly id: string) {
    super(`internal: whole task '${id}' not fetched yet`);
  }
}
