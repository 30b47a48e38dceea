/**
 * The ready tasks of a graph that changes a little at a time (the service's in-memory copy,
 * store/live-graph.ts), kept current from the changes instead of asking readiness() of every
 * task again: at 100k tasks a full pass costs ~100 ms, the tick after one `wg log` must cost
 * ≤ 20 ms. readiness() stays the one rule; this only decides whom to ask again:
 *
 * - a changed or added task X, and every task that depends on X (X's status satisfies them or
 *   not; an added X may be a dependency that was missing);
 * - for a changed `.evaluate-X`, the tasks that depend on X (the eval gate);
 * - tasks whose time gate (not_before / ready_after) opened since (`advance`);
 * - everything, after a reload, or after a structural change (tasks, edges, cycle_config) when
 *   the graph has or had a cycle (which tasks a cycle blocks is a global question).
 *
 * Pure: the caller passes the graph, the change and `now`. Tested against readyTasks() with
 * fast-check (test/unit/ready-set.test.ts).
 */
import type { Graph } from './graph.js';
import { companionSource } from './claims.js';
import { gateOpensMs, isReady } from './readiness.js';
import { READY_STATUSES } from './transitions.js';
import type { Task } from './task.js';

export interface ReadyChange {
  /** Everything may have changed. */
  reload: boolean;
  /** Tasks whose line changed or was added. */
  ids: ReadonlySet<string>;
  /** A task was added, or an `after` / `cycle_config` changed. */
  structural: boolean;
}

export class ReadySet {
  private readonly ready = new Set<string>();
  /** Candidates (open/incomplete) waiting for a time gate → when it opens (ms). */
  private readonly gated = new Map<string, number>();
  private acyclic = false;
  /** The ready rows in file order, and where each id sits in it; dropped when membership changes. */
  private ordered: Task[] | undefined;
  private slot: Map<string, number> | undefined;
  /**
   * Opt-in (a holder that keeps its own order over the ready tasks): ids that became ready
   * since the last takeAdded(), or `all` after a rebuild.
   */
  trackAdded = false;
  private added = { all: true, ids: new Set<string>() };

  constructor(graph: Graph, now: Date) {
    this.rebuild(graph, now);
  }

  /** Asks every task again. */
  rebuild(graph: Graph, now: Date): void {
    this.ready.clear();
    this.gated.clear();
    for (const t of graph.tasks.values()) this.check(graph, t, now);
    this.acyclic = graph.knownAcyclic;
    this.ordered = this.slot = undefined;
    this.added = { all: true, ids: new Set() };
  }

  /** What became ready since the last call (only with `trackAdded`). */
  takeAdded(): { all: boolean; ids: ReadonlySet<string> } {
    const a = this.added;
    this.added = { all: false, ids: new Set() };
    return a;
  }

  /** Applies a change of the graph (now `graph`); true when the ready set changed. */
  update(graph: Graph, change: ReadyChange, now: Date): boolean {
    const cyclesMayMatter = !(this.acyclic && graph.knownAcyclic);
    if (change.reload || (change.structural && cyclesMayMatter)) {
      const before = [...this.ready];
      this.rebuild(graph, now);
      return before.length !== this.ready.size || before.some((id) => !this.ready.has(id));
    }
    this.acyclic = graph.knownAcyclic;
    const ask = new Set<string>();
    for (const id of change.ids) {
      ask.add(id);
      for (const d of graph.dependents(id)) ask.add(d);
      const source = companionSource(id, 'evaluate');
      if (source !== undefined) for (const d of graph.dependents(source)) ask.add(d);
    }
    return this.recheck(graph, ask, now);
  }

  /** Time passed: tasks whose time gate opened by `now` are asked again; true when the set changed. */
  advance(graph: Graph, now: Date): boolean {
    const nowMs = now.getTime();
    const due = new Set<string>();
    for (const [id, at] of this.gated) if (at <= nowMs) due.add(id);
    return due.size > 0 && this.recheck(graph, due, now);
  }

  /** When the next time gate of a waiting candidate opens (ms), if any. */
  nextGateMs(): number | undefined {
    let next: number | undefined;
    for (const at of this.gated.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  has(id: string): boolean {
    return this.ready.has(id);
  }

  get size(): number {
    return this.ready.size;
  }

  /** The ready ids, in no particular order (read-only: a live set). */
  ids(): ReadonlySet<string> {
    return this.ready;
  }

  /**
   * The ready tasks in file order (what readyTasks() returns), as held by `graph`. Kept between
   * calls (at 100k tasks, 15k ready: mapping them anew cost ~5 ms): read-only.
   */
  tasks(graph: Graph): readonly Task[] {
    if (!this.ordered) {
      const ids = [...this.ready].sort((a, b) => graph.position(a) - graph.position(b));
      this.ordered = ids.map((id) => graph.peek(id)!);
      this.slot = new Map(ids.map((id, i) => [id, i]));
    }
    return this.ordered;
  }

  private recheck(graph: Graph, ids: Iterable<string>, now: Date): boolean {
    let changed = false;
    for (const id of ids) {
      const was = this.ready.has(id);
      this.ready.delete(id);
      this.gated.delete(id);
      const t = graph.peek(id);
      if (t) this.check(graph, t, now);
      if (was !== this.ready.has(id)) {
        changed = true;
        if (!was && this.trackAdded) this.added.ids.add(id);
      }
      // Still ready: its row may be a new object (the line changed).
      else if (was && t && this.ordered) this.ordered[this.slot!.get(id)!] = t;
    }
    if (changed) this.ordered = this.slot = undefined;
    return changed;
  }

  private check(graph: Graph, t: Task, now: Date): void {
    if (!READY_STATUSES.has(t.status)) return;
    if (isReady(graph, t, now)) {
      this.ready.add(t.id);
      return;
    }
    const at = gateOpensMs(t);
    if (at !== undefined && at > now.getTime()) this.gated.set(t.id, at);
  }
}
