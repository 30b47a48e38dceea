/**
 * The head of the ready tasks in dispatch order (readiness.ts: priority, then fewer spawns, then
 * file order), kept between calls so `claim --next` on a long-lived copy does not rank every
 * ready task for each claim (4000 ready tasks, 32 claimants: that ranking was the copy's main
 * cost). It holds the first `size` ready tasks in order, with the invariant that every ready task
 * not held ranks after the last one held; so:
 *
 * - a task that stopped being ready (claimed, paused…) is dropped: the invariant still holds;
 * - a task that became ready or changed (its priority, its dispatch_count) is placed again:
 *   inserted when it ranks before the last held (or the head holds the whole ready set),
 *   dropped otherwise;
 * - when claimants have used up the head, it is ranked again from the ready set.
 *
 * Pure: the holder passes the ready set, the rows and what changed. Tested against
 * byDispatchOrder(readyTasks()) in test/unit/dispatch-queue.test.ts.
 */
import type { ReadySet } from './ready-set.js';
import { dispatchBefore, firstInDispatchOrder } from './readiness.js';
import type { Task } from './task.js';

interface Entry {
  t: Task;
  p: number;
}

export class DispatchQueue {
  private head: Entry[] = [];
  /** The head held every ready task when it was last ranked (nothing outside it to miss). */
  private complete = false;
  private stale = true;

  constructor(
    /** File order of a task (any increasing numbering). */
    private readonly position: (id: string) => number,
    private readonly size = 256,
  ) {}

  /** Everything may have changed (a reload): rank again on next use. */
  invalidate(): void {
    this.stale = true;
  }

  /**
   * Tasks that changed or became ready (`ids`), as `rows` now holds them; call after the
   * ready set took the same change.
   */
  note(ids: Iterable<string>, ready: ReadySet, rows: ReadonlyMap<string, Task>): void {
    if (this.stale) return;
    for (const id of ids) {
      const at = this.head.findIndex((e) => e.t.id === id);
      if (at >= 0) this.head.splice(at, 1);
      const t = rows.get(id);
      if (!t || !ready.has(id)) continue;
      const x = { t, p: this.position(id) };
      const last = this.head[this.head.length - 1];
      // Outside the head only if something it ranks after was left outside too.
      if (!this.complete && (!last || !dispatchBefore(x.t, x.p, last.t, last.p))) {
        if (!last) this.stale = true;
        continue;
      }
      this.head.splice(this.slot(x), 0, x);
      // A head that holds every ready task grows with it; past twice its size it keeps the first.
      if (this.complete && this.head.length > 2 * this.size) {
        this.head.length = this.size;
        this.complete = false;
      }
    }
  }

  /**
   * The first `k` ready tasks that pass `keep`, in dispatch order. `rows`: the current rows (an
   * entry whose row object is not the current one is placed again from it).
   */
  first(k: number, keep: (t: Task) => boolean, ready: ReadySet, rows: ReadonlyMap<string, Task>): Task[] {
    for (let pass = 0; pass < 2; pass++) {
      if (this.stale) this.rank(ready, rows, k);
      const out: Task[] = [];
      let w = 0;
      for (let r = 0; r < this.head.length; r++) {
        const e = this.head[r]!;
        const cur = rows.get(e.t.id);
        if (!cur || !ready.has(e.t.id)) continue; // no longer ready: dropped
        e.t = cur; // note() placed every changed row again: only the object may be newer
        this.head[w++] = e;
        if (out.length < k && keep(cur)) out.push(cur);
      }
      this.head.length = w;
      // Enough, or nothing outside the head: done. Else the head ran dry: rank again once.
      if (out.length >= k || this.complete) return out;
      this.stale = true;
    }
    // The filter passes over more than the head holds: rank what it keeps (rare).
    const pool: Task[] = [];
    for (const id of ready.ids()) {
      const t = rows.get(id);
      if (t && keep(t)) pool.push(t);
    }
    return firstInDispatchOrder(pool, k, this.position);
  }

  private rank(ready: ReadySet, rows: ReadonlyMap<string, Task>, k: number): void {
    const size = Math.max(this.size, 2 * k);
    const tasks: Task[] = [];
    for (const id of ready.ids()) {
      const t = rows.get(id);
      if (t) tasks.push(t);
    }
    this.head = firstInDispatchOrder(tasks, size, this.position).map((t) => ({ t, p: this.position(t.id) }));
    this.complete = tasks.length <= size;
    this.stale = false;
  }

  private slot(x: Entry): number {
    let lo = 0;
    let hi = this.head.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.head[mid]!;
      if (dispatchBefore(x.t, x.p, m.t, m.p)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
