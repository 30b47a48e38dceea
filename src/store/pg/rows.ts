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
 */
import { Graph, isAcyclic } from '../../core/graph.js';
import type { Task } from '../../core/task.js';
import { parseTaskLine } from '../graph-file.js';
import { PARTIAL } from '../graph-index.js';
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

export class RowCache {
  private rows = new Map<string, CachedRow>();
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
    this.rows.clear();
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
    this.rows.clear();
    this.others.clear();
    this.maxSeq = 0;
    this.built = undefined;
    this.acyclic = undefined;
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
      if (!cur) this.noteSeq(r.seq);
      this.changed(cur?.row, row);
      this.rows.set(r.id, { seq: r.seq, version: r.version, row });
      }
    if (r.line !== undefined) {
      const w = this.whole.get(r.id);
      if (!w || w.version < r.version) this.whole.set(r.id, { version: r.version, task: parseTaskLine(r.line, r.seq, 'wg_nodes seq') });
    }
  }

  /** Our own write, committed: the task object itself is the whole task at `version`. */
  putWritten(task: Task, row: Task, seq: number, version: number): void {
    const cur = this.rows.get(task.id);
    if (!cur) this.noteSeq(seq);
    this.changed(cur?.row, row);
    this.rows.set(task.id, { seq, version, row: Object.assign(row, { [PARTIAL]: true }) });
    this.whole.set(task.id, { version, task });
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
    this.built = undefined;
    const a = before?.after ?? [];
    const b = after.after ?? [];
    if (!before || a.length !== b.length || a.some((x, i) => x !== b[i]) || JSON.stringify(before.cycle_config) !== JSON.stringify(after.cycle_config)) {
      this.structural = true;
      if (before) this.acyclic = undefined;
    }
    if (!before && b.length) this.acyclic = undefined;
  }

  private remove(id: string): void {
    this.changedIds.add(id);
    this.structural = true;
    this.built = undefined;
    this.acyclic = undefined;
    this.rows.delete(id);
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
      this.rows = new Map([...this.rows.entries()].sort((a, b) => a[1].seq - b[1].seq));
      this.ordered = true;
    }
    const rows = this.rows;
    const whole = this.whole;
    const built = { graph: undefined as unknown as Graph, missing };
    built.graph = new Graph(
      [...rows.values()].map((r) => r.row),
      (id) => {
        const w = whole.get(id);
        if (w && w.version === rows.get(id)?.version) return w.task;
        built.missing.add(id);
        throw new NeedWhole(id);
      },
    );
    this.acyclic ??= isAcyclic(built.graph);
    built.graph.knownAcyclic = this.acyclic;
    this.built = built;
    return built.graph;
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
