/**
 * The service's lifecycle, as typed events. Every step reports what it did here; listeners
 * turn the events into daemon.log lines, `service status`, later `wg watch` and dashboards,
 * and the tests' assertions (test/service/events.test.ts builds the daemon in-process and
 * asserts them in order).
 *
 * `emit` is safe: a listener that throws is reported on `listener:error` (and in the log) and
 * never breaks the tick that emitted — the service must not stop dispatching because a
 * dashboard's handler has a bug.
 */
import { EventEmitter } from 'node:events';
import type { ResolveResult } from '../core/plans/evaluation.js';

export type KillReason = 'timeout' | 'task-terminal' | 'claim-lost' | 'stop' | 'retry' | 'manual' | 'lease-expired' | 'hung';

export interface TickSummary {
  /** Agents alive after the tick (spawned ones included). */
  alive: number;
  /** Ready tasks (spawned + waiting). */
  ready: number;
  spawned: number;
  reclaimed: number;
  exits: number;
  /** Ready tasks that wait, by reason (paused, max-agents, settling, …). */
  waiting: Record<string, number>;
  /** Wall time of the tick. */
  ms: number;
  /** The dispatch decision was taken again this tick (its inputs changed). */
  decided: boolean;
  /** Wall time of each step (ms), in the order they ran. */
  steps: Record<string, number>;
}

export interface ServiceEventMap {
  'service:started': { dir: string; pid: number; max_agents: number; executor: string; paused: boolean };
  /** PostgreSQL: the LISTEN connection is up (again) / was lost (it reconnects by itself). */
  'store:connected': Record<string, never> | { error?: string };
  'store:lost': { error?: string };
  'service:stopped': { kill_agents: boolean };
  'service:paused': Record<string, never>;
  'service:resumed': Record<string, never>;
  'service:agents-killed': { agents: string[] };
  'tick:done': TickSummary;
  'tick:error': { error: string };
  'agent:spawned': { agent: string; task: string; pid: number; executor: string; epoch: number };
  'agent:adopted': { agent: string; task: string; pid: number };
  'agent:exited': { agent: string; task: string; code: number | null; signal: string | null; action: string; killedBy?: KillReason };
  'agent:killed': { agent: string; task: string; reason: KillReason };
  'agent:dead': { agent: string; task: string; reason: string };
  'claim:reclaimed': { task: string; agent: string; reason: string; failed: boolean };
  'spawn:failed': { task: string; agent: string; error: string; retry_after: string };
  'eval:scaffolded': { tasks: string[] };
  'eval:resolved': ResolveResult;
  'eval:unreadable': { task: string; error: string };
  /** The agent's work loop (work-loop.ts, wait-step.ts; issue 11). A parked task's condition holds: back to open. */
  'wait:resumed': { task: string; condition: string };
  /** Messages queued on the task went into a new agent's prompt. */
  'message:delivered': { agent: string; task: string; messages: number; last: number };
  'worktree:created': { agent: string; task: string; path: string; branch: string; continues?: string };
  /** A clean exit was finished: verify ran, the branch landed or was left for review. */
  'worktree:finished': { agent: string; task: string; notes: string[] };
  /** The exited agent's worktree was removed (landed) or archived (its branch kept). */
  'worktree:cleaned': { agent: string; detail: string };
  'worktree:error': { agent: string; error: string };
  /** A listener threw while handling `event` (the emitting step carried on). */
  'listener:error': { event: string; error: string };
}

export type ServiceEventName = keyof ServiceEventMap;
export type ServiceEvent = { [K in ServiceEventName]: { event: K; data: ServiceEventMap[K] } }[ServiceEventName];

type Listener<K extends ServiceEventName> = (data: ServiceEventMap[K]) => void;

/** A typed EventEmitter whose `emit` never throws. */
export class ServiceEvents {
  private readonly ee = new EventEmitter();
  private readonly anyListeners: Array<(e: ServiceEvent) => void> = [];

  constructor() {
    // Listeners are few and long-lived (the log, a test, `wg watch`); no leak warning at 11.
    this.ee.setMaxListeners(0);
  }

  on<K extends ServiceEventName>(event: K, fn: Listener<K>): this {
    this.ee.on(event, fn as (d: unknown) => void);
    return this;
  }

  off<K extends ServiceEventName>(event: K, fn: Listener<K>): this {
    this.ee.off(event, fn as (d: unknown) => void);
    return this;
  }

  /** Every event, in order (the log and the tests subscribe this way). */
  onAny(fn: (e: ServiceEvent) => void): () => void {
    this.anyListeners.push(fn);
    return () => {
      const i = this.anyListeners.indexOf(fn);
      if (i >= 0) this.anyListeners.splice(i, 1);
    };
  }

  /** Emits to every listener; a throwing listener is reported, never propagated. */
  emit<K extends ServiceEventName>(event: K, data: ServiceEventMap[K]): void {
    const e = { event, data } as ServiceEvent;
    for (const fn of [...this.anyListeners]) this.call(event, () => fn(e));
    for (const fn of this.ee.listeners(event)) this.call(event, () => (fn as Listener<K>)(data));
  }

  private call(event: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (event === 'listener:error') return; // never loop on a broken error listener
      this.emit('listener:error', { event, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
