/**
 * The graph as the service holds it: the store's LiveGraph (store/live-graph.ts — an in-memory
 * copy that re-reads only what changed: nothing on an unchanged file, the changed lines after
 * another wg process wrote, and applies the service's own writes directly), and the indexes the
 * steps keep over it, fed from the same change record so they cost what changed:
 *
 *   - the LiveGraph's own: tasks by status, claimed tasks, time gates;
 *   - the ready tasks (core/ready-set.ts), for the dispatcher;
 *   - the service's TaskIndex (task-index.ts): evaluation work, tasks wanting an evaluation, and
 *     which rows changed since the dispatcher last decided.
 *
 * One `now` per tick: `refresh(now)` at the start of a tick sets the instant the ready set is
 * judged at. A plan that writes nothing on the copy is not taken to the store at all (every step
 * runs every tick, most have nothing to do, and the store takes the graph lock to find out).
 */
import type { PlanStore } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { Plan } from '../core/plan.js';
import { ReadySet } from '../core/ready-set.js';
import type { Status } from '../core/transitions.js';
import { LiveGraph } from '../store/live-graph.js';
import type { WgPaths } from '../store/paths.js';
import { TaskIndex } from './task-index.js';

export class GraphView {
  private live: LiveGraph | undefined;
  private ready: ReadySet | undefined;
  private readonly tasks: TaskIndex;
  private now = new Date(0);
  /** The ready set changed since the dispatcher last asked. */
  private readyMoved = true;

  constructor(
    private readonly paths: WgPaths,
    autoEvaluate: boolean,
    /** Where the copy's warnings go (a write to a repeated id left out), once per distinct message. */
    private readonly warn?: (message: string) => void,
  ) {
    this.tasks = new TaskIndex(autoEvaluate);
  }

  /** The copy (loaded on first use: the first tick, not the constructor). */
  private copy(): LiveGraph {
    if (!this.live) {
      const seen = new Set<string>();
      const warn = this.warn;
      this.live = new LiveGraph(this.paths, warn ? (m) => void (seen.has(m) || (seen.add(m), warn(m))) : undefined);
    }
    return this.live;
  }

  /** Picks up changes made by other processes (one stat when there are none); `now` is the tick's. */
  refresh(now: Date): boolean {
    this.now = now;
    return this.copy().refresh();
  }

  graph(): Graph {
    return this.copy().graph();
  }

  /** Ids of the tasks with this status (the copy's index; terminal statuses are a scan). */
  withStatus(status: Status): ReadonlySet<string> {
    return this.copy().withStatus(status);
  }

  /** Counts the copy's writes (its index generation). */
  get generation(): number {
    return this.copy().generation;
  }

  /** Feeds what changed since the last look to the derived indexes. */
  private sync(): void {
    const c = this.copy().takeChanges();
    if (!c.reload && !c.ids.size && !c.structural && this.ready) return;
    const g = this.graph();
    this.tasks.apply(g, c);
    if (!this.ready) {
      this.ready = new ReadySet(g, this.now);
      this.readyMoved = true;
    } else if (this.ready.update(g, c, this.now)) this.readyMoved = true;
  }

  /** The service's TaskIndex, current. */
  index(): TaskIndex {
    this.sync();
    return this.tasks;
  }

  /** A spawn's claim: with JSONL, the graph lock makes it one step like any write. */
  claim<R>(_taskId: string, plan: (g: Graph) => Plan<R | undefined>, now: Date): Promise<R | undefined> {
    return this.mutate(plan, now);
  }

  /** The ready set, current (time gates opened by the tick's `now` included). */
  readySet(): ReadySet {
    this.sync();
    if (this.ready!.advance(this.graph(), this.now)) this.readyMoved = true;
    return this.ready!;
  }

  /** Did the ready set change since the last call? */
  takeReadyMoved(): boolean {
    const m = this.readyMoved;
    this.readyMoved = false;
    return m;
  }

  /** Applies `plan` under the graph lock (on fresh data); a no-op on the copy is skipped. */
  async mutate<R>(plan: (g: Graph) => Plan<R>, now: Date): Promise<R> {
    const dry = plan(this.graph());
    if (!dry.writes.length) return dry.result;
    return (await this.copy().mutate(plan, { now, actor: 'service' })).result;
  }

  /** The copy as the apply path's store (src/apply.ts). */
  planStore(): PlanStore {
    const live = this.copy();
    return { mutate: (plan, ctx) => live.mutate(plan, ctx), load: () => live.load() };
  }

  /** After a tick: closes the descriptors of graph files replaced meanwhile (LiveGraph.settle). */
  settle(): void {
    this.live?.settle();
  }

  close(): void {
    this.live?.close();
  }
}
