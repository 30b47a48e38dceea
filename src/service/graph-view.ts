/**
 * The graph as the service holds it between ticks. Re-read only when graph.jsonl's identity
 * changed (a stat per tick otherwise); the service's own writes go through the store under the
 * graph lock. A plan that writes nothing on the copy is not taken to the store at all: every
 * step runs every tick, and most have nothing to do.
 */
import { statSync } from 'node:fs';
import type { Graph } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { JsonlStore } from '../store/store.js';

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
  /** Bumped whenever the copy changes: the dispatcher's input key. */
  generation = 0;

  constructor(private readonly store: JsonlStore) {}

  /** Picks up a change made by another process; true when the graph changed. */
  refresh(): boolean {
    const id = identity(this.store.paths.graph);
    if (this.g && id === this.id) return false;
    this.g = this.store.loadFast(false);
    this.id = id;
    this.generation++;
    return true;
  }

  graph(): Graph {
    if (!this.g) this.refresh();
    return this.g!;
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
