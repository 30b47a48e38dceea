/**
 * The service built in-process (not as a `wg service daemon` subprocess), on an injected clock:
 * its typed events are collected in order, and a test can advance time instead of sleeping on a
 * real timeout. Agents are real processes; the `wg` they call is the built dist/wg.mjs.
 */
import { Daemon } from '../../src/service/daemon.js';
import type { ServiceEvent, ServiceEventMap, ServiceEventName } from '../../src/service/events.js';
import { pathsFor } from '../../src/store/paths.js';
import type { ServiceProject } from './project.js';
import { waitFor } from './proc.js';
import { WG_BIN } from './wg.js';

/**
 * Real time plus an offset the test moves forward by hand. It runs with real time (the `wg`
 * commands the test runs stamp real time, and a clock standing still would hold every task
 * created after it in its settling delay); `advance` jumps it ahead — to a hard timeout, past a
 * lease — without waiting.
 */
export class TestClock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export type Seen = ServiceEvent & { at: number };

export interface InProcessService {
  daemon: Daemon;
  clock: TestClock;
  /** Every event so far, in emission order. */
  events: Seen[];
  /** The events named `name` (optionally matching `where`), in order. */
  of<K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>): Array<ServiceEventMap[K]>;
  /** Waits for the first event named `name` matching `where` after index `from`; returns it. */
  next<K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>, from?: number, timeoutMs?: number): Promise<ServiceEventMap[K]>;
  /** Stops the in-process service (agents killed), waiting until it is down. */
  stop(): Promise<void>;
}

const matches = (data: object, where: object | undefined): boolean => !where || Object.entries(where).every(([k, v]) => (data as Record<string, unknown>)[k] === v);

/** Builds and runs the daemon for project `p` in this process. */
export async function inProcessService(p: ServiceProject): Promise<InProcessService> {
  const clock = new TestClock();
  let stopped: () => void = () => undefined;
  const down = new Promise<void>((r) => (stopped = r));
  const daemon = new Daemon(pathsFor(p.wgDir), { clock, wgEntry: WG_BIN, exit: () => stopped(), handleSignals: false });
  const events: Seen[] = [];
  daemon.events.onAny((e) => events.push({ ...e, at: events.length }));
  if (!daemon.acquire()) throw new Error('another service holds this workgraph');
  await daemon.run();
  const of = <K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>): Array<ServiceEventMap[K]> =>
    events.filter((e) => e.event === name && matches(e.data, where)).map((e) => e.data as ServiceEventMap[K]);
  return {
    daemon,
    clock,
    events,
    of,
    next: (name, where, from = 0, timeoutMs = 10_000) =>
      waitFor(`event ${name} ${JSON.stringify(where ?? {})}`, () => events.slice(from).find((e) => e.event === name && matches(e.data, where))?.data as never, timeoutMs),
    async stop() {
      await daemon.shutdown(true);
      await down;
    },
  };
}
