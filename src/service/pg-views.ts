/**
 * The service's graph and registry when the project's store is PostgreSQL (SPEC §7): the same
 * surface as graph-view.ts and registry-view.ts, so every tick step runs unchanged.
 *
 * - The graph copy is the store's row copy with every task whole (the steps read tasks whole,
 *   synchronously), refreshed at the top of each tick from the change feed: what other hosts
 *   and CLI calls committed since the last tick, nothing more.
 * - A spawn's claim locks its row with SKIP LOCKED (`claim`): when another host's dispatcher
 *   holds it, this one passes at once instead of waiting.
 * - The registry copy is re-read at the top of each tick (every host's agents, one query);
 *   updates are serialized across hosts and stamp leases in database time (store/pg/registry.ts).
 */
import type { Graph } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { PgStore } from '../store/pg/pg-store.js';
import type { PgRegistry } from '../store/pg/registry.js';
import type { Registry } from '../store/registry.js';
import { TaskIndex, type GraphChange } from './task-index.js';

export class PgGraphView {
  private readonly tasks: TaskIndex;
  private pending: GraphChange = { reload: true, ids: new Set(), structural: true };
  private g: Graph | undefined;
  generation = 0;

  constructor(
    readonly store: PgStore,
    autoEvaluate: boolean,
  ) {
    this.tasks = new TaskIndex(autoEvaluate);
    store.cache.keepWhole = true;
  }

  private take(): boolean {
    const c = this.store.cache.takeChanges();
    if (!c.reload && !c.ids.size && this.g) return false;
    const ids = new Set([...this.pending.ids, ...c.ids]);
    this.pending = { reload: this.pending.reload || c.reload, ids, structural: true };
    this.g = this.store.cache.graph(new Set());
    this.generation++;
    return true;
  }

  /** Picks up what every host committed since the last refresh; true when the graph changed. */
  async refresh(): Promise<boolean> {
    await this.store.refresh();
    return this.take();
  }

  graph(): Graph {
    if (!this.g) throw new Error('internal: the PostgreSQL graph view is read before its first refresh');
    return this.g;
  }

  index(): TaskIndex {
    const g = this.graph();
    const change = this.pending;
    this.pending = { reload: false, ids: new Set(), structural: false };
    this.tasks.apply(g, change);
    return this.tasks;
  }

  /** Applies `plan` in one transaction (writes version-checked); a no-op on the copy is skipped. */
  async mutate<R>(plan: (g: Graph) => Plan<R>, now: Date): Promise<R> {
    const dry = plan(this.graph());
    if (!dry.writes.length) return dry.result;
    const r = await this.store.mutate(plan, { now, actor: 'service' });
    this.take();
    return r.result;
  }

  /** A spawn's claim: SKIP LOCKED on the task's row (another host holding it: undefined at once). */
  async claim<R>(taskId: string, plan: (g: Graph) => Plan<R | undefined>, now: Date): Promise<R | undefined> {
    const r = await this.store.claimTask(taskId, plan, { now, actor: 'service' });
    this.take();
    return r;
  }
}

export class PgRegistryView {
  private reg: Registry = { agents: {}, next_agent_id: 1 };
  private text = '';
  generation = 0;

  constructor(readonly pg: PgRegistry) {}

  /** Re-reads every host's agents (top of each tick). */
  async refresh(): Promise<void> {
    const { registry } = await this.pg.read();
    this.keep(registry);
  }

  private keep(registry: Registry): void {
    const text = JSON.stringify(registry);
    if (text === this.text) return;
    this.reg = registry;
    this.text = text;
    this.generation++;
  }

  current(): Registry {
    return this.reg;
  }

  async update<R>(fn: (reg: Registry) => R): Promise<R> {
    const { result, registry } = await this.pg.updateWith(fn);
    this.keep(registry);
    return result;
  }
}
