/**
 * The service's graph and registry when the project's store is PostgreSQL (SPEC §7): the same
 * surface as graph-view.ts and registry-view.ts, so every tick step runs unchanged.
 *
 * - The graph copy is the store's row copy with every task whole (the steps read tasks whole,
 *   synchronously), refreshed at the top of each tick from the change feed: what other hosts
 *   and CLI calls committed since the last tick, nothing more. The copy keeps the ready set and
 *   the status index itself (store/pg/rows.ts, the JSONL side's classes); the task index is fed
 *   from the copy's change record, as with the LiveGraph.
 * - A spawn's claim locks its row with SKIP LOCKED (`claim`): when another host's dispatcher
 *   holds it, this one passes at once instead of waiting.
 * - The registry copy is re-read at the top of each tick (every host's agents, one query);
 *   updates are serialized across hosts and stamp leases in database time (store/pg/registry.ts).
 */
import type { PlanStore } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import type { Status } from '../core/transitions.js';
import type { ReadySet } from '../core/ready-set.js';
import type { PgStore } from '../store/pg/pg-store.js';
import type { PgRegistry } from '../store/pg/registry.js';
import type { Registry } from '../store/registry.js';
import type { GraphSource, RegistrySource } from './context.js';
import { TaskIndex } from './task-index.js';

export class PgGraphView implements GraphSource {
  private readonly tasks: TaskIndex;
  private now = new Date(0);
  private g: Graph | undefined;
  generation = 0;

  constructor(
    readonly store: PgStore,
    autoEvaluate: boolean,
  ) {
    this.tasks = new TaskIndex(autoEvaluate);
    store.cache.keepWhole = true;
  }

  /** Picks up what every host committed since the last refresh; true when the graph changed. */
  async refresh(now: Date): Promise<boolean> {
    this.now = now;
    await this.store.refresh();
    return this.sync();
  }

  /** Feeds what changed in the copy (others' commits, our writes) to the task index. */
  private sync(): boolean {
    const c = this.store.cache.takeChanges();
    if (!c.reload && !c.ids.size && !c.structural && this.g) return false;
    const g = (this.g = this.store.cache.graph(new Set()));
    this.generation++;
    this.tasks.apply(g, c);
    return true;
  }

  graph(): Graph {
    if (!this.g) throw new Error('internal: the PostgreSQL graph view is read before its first refresh');
    return this.g;
  }

  /** The ids of the tasks with `status` (the copy's index; terminal statuses are a scan). */
  withStatus(status: Status): ReadonlySet<string> {
    return this.store.cache.withStatus(status);
  }

  index(): TaskIndex {
    this.sync();
    return this.tasks;
  }

  /** The row copy's ready set (kept by the cache itself: `claim --next` picks from the same one). */
  readySet(): ReadySet {
    this.sync();
    return this.store.cache.ready(this.now);
  }

  takeReadyMoved(): boolean {
    this.readySet();
    return this.store.cache.takeReadyMoved();
  }

  /** Applies `plan` in one transaction (writes version-checked); a no-op on the copy is skipped. */
  async mutate<R>(plan: (g: Graph) => Plan<R>, now: Date): Promise<R> {
    const dry = plan(this.graph());
    if (!dry.writes.length) return dry.result;
    const r = await this.store.mutate(plan, { now, actor: 'service' });
    this.sync();
    return r.result;
  }

  /** A spawn's claim: SKIP LOCKED on the task's row (another host holding it: undefined at once). */
  async claim<R>(taskId: string, plan: (g: Graph) => Plan<R | undefined>, now: Date): Promise<R | undefined> {
    const r = await this.store.claimTask(taskId, plan, { now, actor: 'service' });
    this.sync();
    return r;
  }

  /** The store as the apply path's (src/apply.ts): writes in a transaction, reads the copy. */
  planStore(): PlanStore {
    return {
      mutate: async (plan, ctx) => {
        const r = await this.store.mutate(plan, ctx);
        this.sync();
        return r;
      },
      load: () => ({ graph: this.graph() }),
    };
  }

  close(): void {
    // The store (its pool) is closed by the daemon at shutdown.
  }
}

export class PgRegistryView implements RegistrySource {
  private reg: Registry = { agents: {}, next_agent_id: 1 };

  constructor(readonly pg: PgRegistry) {}

  /** Re-reads every host's agents (top of each tick). */
  async refresh(): Promise<void> {
    this.reg = (await this.pg.read()).registry;
  }

  current(): Registry {
    return this.reg;
  }

  async update<R>(fn: (reg: Registry) => R): Promise<R> {
    const { result, registry } = await this.pg.updateWith(fn);
    this.reg = registry;
    return result;
  }
}
