/**
 * The graph as the service holds it between ticks, and the service's indexes over it
 * (task-index.ts). Re-read only when graph.jsonl's identity changed (a stat per tick
 * otherwise); the service's own writes go through the store under the graph lock. A plan that
 * writes nothing on the copy is not taken to the store at all: every step runs every tick, and
 * most have nothing to do.
 */
import { statSync } from 'node:fs';
import type { Graph } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { JsonlStore } from '../store/store.js';
import { TaskIndex, type GraphChange } from './task-index.js';

function identity(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

export class GraphView {
  private g: Graph | undefined;
  private id: string | undefined;
  private pending: GraphChange = { reload: true, ids: new Set(), structural: true };
  private readonly tasks: TaskIndex;
  /** Bumped whenever the copy changes. */
  generation = 0;

  constructor(
    private readonly store: JsonlStore,
    autoEvaluate: boolean,
  ) {
    this.tasks = new TaskIndex(autoEvaluate);
  }

  /** Picks up a change made by another process; true when the graph changed. */
  refresh(): boolean {
    const id = identity(this.store.paths.graph);
    if (this.g && id === this.id) return false;
    this.g = this.store.loadFast(false);
    this.id = id;
    this.generation++;
    this.pending = { reload: true, ids: new Set(), structural: true };
    return true;
  }

  graph(): Graph {
    if (!this.g) this.refresh();
    return this.g!;
  }

  /** The service's indexes, up to date with the copy. */
  index(): TaskIndex {
    const g = this.graph();
    const change = this.pending;
    this.pending = { reload: false, ids: new Set(), structural: false };
    this.tasks.apply(g, change);
    return this.tasks;
  }

  /** A spawn's claim: with JSONL, the graph lock makes it one step like any write. */
  claim<R>(_taskId: string, plan: (g: Graph) => Plan<R | undefined>, now: Date): Promise<R | undefined> {
    return this.mutate(plan, now);
  }

  /** Applies `plan` under the graph lock (on fresh data); a no-op on the copy is skipped. */
  async mutate<R>(plan: (g: Graph) => Plan<R>, now: Date): Promise<R> {
    const dry = plan(this.graph());
    if (!dry.writes.length) return dry.result;
    const r = await this.store.mutate(plan, { now, actor: 'service' });
    if (r.written) this.refresh();
    return r.result;
  }
}
