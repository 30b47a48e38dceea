/**
 * What every step of the tick is handed, first: the resolved settings, the service's in-memory
 * graph and registry, the supervisor, the event channel. Built once by the daemon (compiled
 * options, graphile-worker style); no step reads the config or builds its own store.
 */
import type { PlanStore } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { Actor, Plan } from '../core/plan.js';
import type { ReadySet } from '../core/ready-set.js';
import type { Status } from '../core/transitions.js';
import type { Settings } from '../settings.js';
import type { WgPaths } from '../store/paths.js';
import type { MessageQueues } from '../store/pg/messages.js';
import type { Registry } from '../store/registry.js';
import type { ServiceEvents } from './events.js';
import type { Supervisor } from './supervisor.js';
import type { TaskIndex } from './task-index.js';

/** The service's graph: graph-view.ts (JSONL, the LiveGraph) or pg-views.ts (PostgreSQL). */
export interface GraphSource {
  readonly generation: number;
  /** Picks up what others changed; `now` is the tick's. */
  refresh(now: Date): boolean | Promise<boolean>;
  graph(): Graph;
  /** The ids of the tasks with `status` (the work loop's parked tasks). */
  withStatus(status: Status): ReadonlySet<string>;
  index(): TaskIndex;
  readySet(): ReadySet;
  takeReadyMoved(): boolean;
  mutate<R>(plan: (g: Graph) => Plan<R>, now: Date): Promise<R>;
  /** A spawn's claim (PostgreSQL: skips a task another host's dispatcher holds, never waits). */
  claim<R>(taskId: string, plan: (g: Graph) => Plan<R | undefined>, now: Date): Promise<R | undefined>;
  planStore(): PlanStore;
  /** After each tick: deferred clean-up that need not delay it (optional). */
  settle?(): void;
  close(): void;
}

/** The service's agent registry: registry-view.ts (the file) or pg-views.ts (PostgreSQL). */
export interface RegistrySource {
  current(): Registry;
  update<R>(fn: (reg: Registry) => R): Promise<R>;
  /** PostgreSQL: re-read every host's agents (the file view re-reads on its own). */
  refresh?(): Promise<void>;
}

export interface StepContext {
  readonly paths: WgPaths;
  /** Resolved once by the daemon (src/settings.ts): config.toml, every default, the overrides. */
  readonly settings: Settings;
  readonly host: string;
  readonly events: ServiceEvents;
  readonly supervisor: Supervisor;
  readonly graph: GraphSource;
  readonly registry: RegistrySource;
  /** PostgreSQL: the message queues in the database (store/pg/messages.ts); else the files. */
  readonly messages?: MessageQueues;
  /** The agents' PATH: the service's `wg` shim first. */
  readonly agentPath: string;
  /** A line in daemon.log that is not a lifecycle event (a warning). */
  warn(event: string, data: Record<string, unknown>, msg: string): void;
}

/** The one `now` of a tick, and the service as the actor of its writes. */
export const serviceActor = (now: Date): Actor => ({ now, actor: 'service' });
