/**
 * What every step of the tick is handed, first: the resolved settings, the service's in-memory
 * graph and registry, the supervisor, the event channel. Built once by the daemon (compiled
 * options, graphile-worker style); no step reads the config or builds its own store.
 */
import type { Actor } from '../core/plan.js';
import type { Settings } from '../settings.js';
import type { WgPaths } from '../store/paths.js';
import type { ServiceEvents } from './events.js';
import type { GraphView } from './graph-view.js';
import type { ServiceRegistry } from './registry-view.js';
import type { Supervisor } from './supervisor.js';

export interface StepContext {
  readonly paths: WgPaths;
  /** Resolved once by the daemon (src/settings.ts): config.toml, every default, the overrides. */
  readonly settings: Settings;
  readonly host: string;
  readonly events: ServiceEvents;
  readonly supervisor: Supervisor;
  readonly graph: GraphView;
  readonly registry: ServiceRegistry;
  /** The agents' PATH: the service's `wg` shim first. */
  readonly agentPath: string;
  /** A line in daemon.log that is not a lifecycle event (a warning). */
  warn(event: string, data: Record<string, unknown>, msg: string): void;
}

/** The one `now` of a tick, and the service as the actor of its writes. */
export const serviceActor = (now: Date): Actor => ({ now, actor: 'service' });
