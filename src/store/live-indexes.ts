/**
 * The indexes the service's in-memory graph (live-graph.ts) keeps up to date row by row, so no
 * step has to scan 100k tasks to find the few it cares about: dependents (Graph.dependents),
 * tasks by non-terminal status, claimed tasks, and the time gates of open/incomplete tasks.
 */
import { gateOpensMs } from '../core/readiness.js';
import type { Task } from '../core/task.js';
import { isTerminal, READY_STATUSES, type Status } from '../core/transitions.js';

const EMPTY: ReadonlySet<string> = new Set();

export class LiveIndexes {
  /** Dependency id → ids of the tasks whose `after` holds it, in file order, each once. */
  readonly dependents = new Map<string, string[]>();
  readonly claimed = new Set<string>();
  private readonly byStatus = new Map<Status, Set<string>>();
  /** Open/incomplete tasks with a time gate → when it opens (ms). */
  private readonly gates = new Map<string, number>();

  /** `position(id)`: the task's file order (its line). */
  constructor(private readonly position: (id: string) => number) {}

  clear(): void {
    this.dependents.clear();
    this.claimed.clear();
    this.byStatus.clear();
    this.gates.clear();
  }

  withStatus(status: Status): ReadonlySet<string> {
    return this.byStatus.get(status) ?? EMPTY;
  }

  nextGateMs(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const at of this.gates.values()) if (at > nowMs && (next === undefined || at < next)) next = at;
    return next;
  }

  /** `row` replaces `old` (undefined: a new task, or a full load in file order). */
  row(old: Task | undefined, row: Task): void {
    if (old) for (const d of old.after ?? []) if (!(row.after ?? []).includes(d)) this.removeDependent(d, row.id);
    for (const d of row.after ?? []) this.addDependent(d, row.id);
    if (old?.status !== row.status) {
      if (old) this.byStatus.get(old.status)?.delete(row.id);
      // Terminal tasks (most of a large graph) are not indexed: nothing scans for them each tick.
      if (!isTerminal(row.status)) {
        let set = this.byStatus.get(row.status);
        if (!set) this.byStatus.set(row.status, (set = new Set()));
        set.add(row.id);
      }
    }
    if (row.assigned) this.claimed.add(row.id);
    else this.claimed.delete(row.id);
    const gate = READY_STATUSES.has(row.status) ? gateOpensMs(row) : undefined;
    if (gate !== undefined) this.gates.set(row.id, gate);
    else this.gates.delete(row.id);
  }

  /** `row` is gone (another host removed it, or a transfer replaced the graph). */
  drop(row: Task): void {
    for (const d of row.after ?? []) this.removeDependent(d, row.id);
    this.byStatus.get(row.status)?.delete(row.id);
    this.claimed.delete(row.id);
    this.gates.delete(row.id);
  }

  private addDependent(dep: string, id: string): void {
    let list = this.dependents.get(dep);
    if (!list) this.dependents.set(dep, (list = []));
    if (list.includes(id)) return;
    // File order: new tasks are appended (and a full load goes in file order), so usually a push.
    const pos = this.position(id);
    let at = list.length;
    while (at > 0 && this.position(list[at - 1]!) > pos) at--;
    list.splice(at, 0, id);
  }

  private removeDependent(dep: string, id: string): void {
    const list = this.dependents.get(dep);
    if (!list) return;
    const at = list.indexOf(id);
    if (at >= 0) list.splice(at, 1);
    if (!list.length) this.dependents.delete(dep);
  }
}
