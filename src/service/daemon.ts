/**
 * The service: one per `.wg/` (held by a lifetime flock on `service/daemon.lock`). It wakes on
 * a change to graph.jsonl, an IPC kick, an agent exit, a timed gate (settling, back-off, kill
 * grace, hard timeout) and a safety timer (`poll_interval`). Each tick runs the steps below in
 * order, with one `now`:
 *
 *   refresh the graph → hard timeouts (supervisor.ts) → exits (exits.ts) → liveness
 *   (assess.ts) → stale claims (reconcile.ts) → agency (agency-step.ts) → parked tasks whose
 *   condition holds (wait-step.ts) → stop agents whose
 *   task ended or whose claim moved (stop.ts) → dispatch + spawn (dispatch.ts, spawn.ts)
 *
 * Maintenance runs even when every slot is full. Every decision is a pure function in
 * src/core; the steps apply them; this file owns the settings, the timers and the lifecycle.
 * What happened is told as typed events (events.ts): they feed daemon.log and the tests.
 */
import { mkdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { formatTimestamp, systemClock, type Clock } from '../core/time.js';
import { loadSettings, type Settings } from '../settings.js';
import { tryLockForLifetime, type LockHandle } from '../store/lock.js';
import type { WgPaths } from '../store/paths.js';
import { agencyStep, type AgencyMemo } from './agency-step.js';
import { assess, idleTimes, newIdleMemo } from './assess.js';
import type { StepContext } from './context.js';
import { dispatchStep, dispatchWakeMs, newDispatchMemo } from './dispatch.js';
import { eventLogListener } from './event-log.js';
import { ServiceEvents, type TickSummary } from './events.js';
import { adoptLeftBehind } from './adopt.js';
import { handleExits } from './exits.js';
import { GraphView } from './graph-view.js';
import { listenIpc, type IpcHandlers } from './ipc-server.js';
import { openServiceLog, type ServiceLog } from './log.js';
import { reconcile } from './reconcile.js';
import { ServiceRegistry } from './registry-view.js';
import { daemonLockPath, readPaused, removeServiceState, writePaused, writeServiceState, type ServiceOverrides } from './service-files.js';
import { killAllAgents, stopAgents, type GraceState } from './stop.js';
import { Supervisor } from './supervisor.js';
import { writeShim } from '../agents/shim.js';
import { resumeWaiting, waitWakeMs } from './wait-step.js';
import { storeUrl } from '../store-url.js';
import type { PgStore } from '../store/pg/pg-store.js';
import type { PgRegistry } from '../store/pg/registry.js';
import type { Listener } from '../store/pg/listen.js';
import { actOnKillRequests } from './kill-requests.js';
import { PgMessages } from '../store/pg/messages.js';
import { PgGraphView, PgRegistryView } from './pg-views.js';

export type { TickSummary } from './events.js';

/** Adopted agents are not our children: their exit is seen by polling /proc this often. */
const ADOPTED_POLL_MS = 200;
/**
 * The first tick loads the graph — seconds at 100k tasks without an index, with the event loop
 * busy — so it waits for the first request on the socket (`service start`'s ping, which then
 * returns at once, or a kick), at most this long.
 */
const FIRST_TICK_WAIT_MS = 1000;

export interface DaemonOptions {
  overrides?: ServiceOverrides;
  /** The resolved settings (overrides included); absent: read from config.toml with `overrides`. */
  settings?: Settings;
  /** The service's clock (tests inject one and advance it; timers still run on real time). */
  clock?: Clock;
  /** The `wg` entry script agents should call (prepended to their PATH as a shim). */
  wgEntry: string;
  /** Called once shutdown is complete (default: exit the process; in-process tests pass a no-op). */
  exit?: () => void;
  /** Stop on SIGTERM / SIGINT / SIGHUP (default true; in-process tests pass false). */
  handleSignals?: boolean;
  /** The PostgreSQL store (openDaemon connects it when the project names one). */
  pg?: { url: string; store: PgStore; registry: PgRegistry };
  /** This host's id ($WG_HOST_ID, else the host name): agents are registered and judged by it. */
  host?: string;
}

/** How often a change-feed row is kept (readers older than this reload instead). */
const CHANGE_FEED_KEEP_MS = 60 * 60_000;

/**
 * A daemon for `paths`, on the project's store: JSONL, or PostgreSQL when `[store] url` or
 * $WG_STORE_URL names one (connected here, with `opts.clock` as this host's clock — the
 * service then keeps time by the database's).
 */
export async function openDaemon(paths: WgPaths, opts: DaemonOptions): Promise<Daemon> {
  const url = await storeUrl(paths, process.env);
  if (!url) return new Daemon(paths, opts);
  const host = opts.host ?? (process.env.WG_HOST_ID || hostname());
  const { PgStore } = await import('../store/pg/pg-store.js');
  const { PgRegistry } = await import('../store/pg/registry.js');
  const store = await PgStore.open(url, { name: `wg service ${host}`, maxConnections: 4, ...(opts.clock ? { hostClock: opts.clock } : {}) });
  return new Daemon(paths, { ...opts, host, pg: { url, store, registry: new PgRegistry(store.pool, host) } });
}

export class Daemon {
  readonly events = new ServiceEvents();
  /** Resolved once, here (src/settings.ts): no step reads config.toml. */
  readonly settings: Settings;
  readonly handlers: IpcHandlers;
  private readonly clock: Clock;
  private readonly ctx: StepContext;
  private readonly supervisor: Supervisor;
  private readonly startedAt: Date;
  private log: ServiceLog | undefined;
  private server: Server | undefined;
  private watcher: FSWatcher | undefined;
  private listener: Listener | undefined;
  private lastPrune = 0;
  private lock: LockHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private safety: NodeJS.Timeout | undefined;
  private running = false;
  private firstTick: NodeJS.Timeout | undefined;
  private ticking = false;
  private last: Promise<unknown> = Promise.resolve();
  private tickAgain = false;
  private stopping = false;
  private paused = false;
  private prepared = false;
  /** What the steps remember between ticks (each step owns its part). */
  private readonly memory = {
    dispatch: newDispatchMemo(),
    agency: { generation: -1, retry: false } as AgencyMemo,
    spawnFailures: new Map<string, number>(),
    grace: { terminalSince: {}, wakeAtMs: undefined } as GraceState,
    idle: newIdleMemo(),
  };
  lastTick: TickSummary | undefined;

  constructor(
    readonly paths: WgPaths,
    private readonly opts: DaemonOptions,
  ) {
    // With PostgreSQL, the service keeps the database's time (leases, gates, timestamps).
    this.clock = opts.pg ? opts.pg.store.clock : (opts.clock ?? systemClock);
    this.startedAt = this.clock.now();
    this.settings = opts.settings ?? loadSettings(paths.config, opts.overrides ?? {});
    const d = this.settings.dispatcher;
    this.supervisor = new Supervisor(() => this.requestTick(0), d.killGraceMs, paths.agentsDir, join(dirname(opts.wgEntry), 'agent-wrapper.sh'));
    const shimDir = join(paths.serviceDir, 'bin');
    this.ctx = {
      paths,
      settings: this.settings,
      host: opts.host ?? (process.env.WG_HOST_ID || hostname()),
      events: this.events,
      supervisor: this.supervisor,
      graph: opts.pg
        ? new PgGraphView(opts.pg.store, this.settings.agency.autoEvaluate)
        : new GraphView(paths, this.settings.agency.autoEvaluate, (m) => this.log?.logger.warn({ event: 'graph:warning' }, m)),
      registry: opts.pg ? new PgRegistryView(opts.pg.registry) : new ServiceRegistry(paths),
      ...(opts.pg ? { messages: new PgMessages(opts.pg.store.pool) } : {}),
      agentPath: `${shimDir}:${process.env.PATH ?? ''}`,
      warn: (event, data, msg) => this.log?.logger.warn({ event, ...data }, msg),
    };
    const first = <T>(fn: () => T) => (): T => (this.startTicking(), fn());
    this.handlers = {
      ping: first(() => ({ ok: true, pid: process.pid })),
      kick: first(() => (this.requestTick(0), { ok: true })),
      status: first(() => ({ ok: true, ...this.statusView() })),
      pause: first(() => this.setPaused(true)),
      resume: first(() => this.setPaused(false)),
      stop: (killAgents) => (setImmediate(() => void this.shutdown(killAgents)), { ok: true, pid: process.pid }),
      agents: () => this.supervisor.agentGroups(),
    };
  }

  /** Acquires the service lock; false if another service already runs on this .wg/. */
  acquire(): boolean {
    mkdirSync(this.paths.serviceDir, { recursive: true });
    this.lock = tryLockForLifetime(daemonLockPath(this.paths));
    return !!this.lock;
  }

  /** The log, the pause state, the agents' `wg` shim: what a tick needs, once. */
  private prepare(): void {
    if (this.prepared) return;
    this.prepared = true;
    this.log = openServiceLog(this.paths.daemonLog);
    this.events.onAny(({ event, data }) => {
      const level = event === 'tick:error' ? 'error' : event === 'listener:error' ? 'warn' : 'info';
      this.log?.logger[level]({ event, ...(data as object) }, event);
    });
    // The stream `wg watch` and the dashboards follow (src/events/source.ts).
    this.events.onAny(eventLogListener(this.paths.serviceEvents, this.clock));
    this.paused = readPaused(this.paths) ?? this.settings.dispatcher.paused;
    writeShim(join(this.paths.serviceDir, 'bin'), process.execPath, this.opts.wgEntry);
  }

  /** Runs as the long-lived service: socket, watcher, timers. */
  async run(): Promise<void> {
    this.prepare();
    this.server = await listenIpc(this.paths.socket, this.handlers);
    writeServiceState(this.paths, { pid: process.pid, socket_path: this.paths.socket, started_at: formatTimestamp(this.startedAt), ...(this.opts.overrides ? { overrides: this.opts.overrides } : {}) });
    this.running = true;
    this.events.emit('service:started', { dir: this.paths.dir, pid: process.pid, max_agents: this.settings.dispatcher.maxAgents, executor: this.settings.dispatcher.executor, paused: this.paused });
    try {
      this.watcher = watch(this.paths.dir, (_ev, name) => {
        if (name === 'graph.jsonl') this.requestTick(20);
      });
    } catch {
      this.ctx.warn('watch:failed', {}, 'cannot watch graph.jsonl; relying on kicks and the poll timer');
    }
    if (this.opts.pg) {
      // Every host's writes end with NOTIFY: a change anywhere wakes this service (the poll stays).
      const { listen } = await import('../store/pg/listen.js');
      this.listener = listen(this.opts.pg.url, () => this.requestTick(20), {
        name: `wg listen ${this.ctx.host}`,
        onState: (state, error) => this.events.emit(state === 'connected' ? 'store:connected' : 'store:lost', { ...(error ? { error } : {}) }),
      });
    }
    this.safety = setInterval(() => this.requestTick(0), this.settings.dispatcher.pollIntervalMs);
    if (this.opts.handleSignals !== false) for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void this.shutdown(false));
    this.firstTick = setTimeout(() => this.startTicking(), FIRST_TICK_WAIT_MS);
  }

  /** Lets ticks run (after the first request answered, or FIRST_TICK_WAIT_MS). */
  private startTicking(): void {
    if (!this.firstTick) return;
    clearTimeout(this.firstTick);
    this.firstTick = undefined;
    // After the response is written: the tick may hold the event loop for a while.
    setImmediate(() => this.requestTick(0));
  }

  private setPaused(paused: boolean): { ok: true; paused: boolean } {
    this.paused = paused;
    writePaused(this.paths, paused);
    this.events.emit(paused ? 'service:paused' : 'service:resumed', {});
    this.requestTick(0);
    return { ok: true, paused };
  }

  statusView(): Record<string, unknown> {
    return {
      pid: process.pid,
      started_at: formatTimestamp(this.startedAt),
      paused: this.paused,
      max_agents: this.settings.dispatcher.maxAgents,
      executor: this.settings.dispatcher.executor,
      model: this.settings.dispatcher.model ?? null,
      poll_interval_ms: this.settings.dispatcher.pollIntervalMs,
      supervised: this.supervisor.watchedIds(),
      idle_timeout_ms: this.settings.dispatcher.idleTimeoutMs,
      /** Each watched agent's idle time (no output, no wg call, no CPU) as of the last tick. */
      idle_ms: idleTimes(this.memory.idle, this.clock.now().getTime()),
      last_tick: this.lastTick ?? null,
    };
  }

  requestTick(delayMs: number): void {
    if (this.stopping || !this.running || this.firstTick) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runTick();
    }, delayMs);
  }

  private async runTick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    let next: number | undefined;
    try {
      await this.tick();
      next = this.nextWakeMs();
    } catch (e) {
      this.events.emit('tick:error', { error: (e as Error).message });
      next = 1000;
    } finally {
      this.ticking = false;
    }
    if (this.tickAgain) {
      this.tickAgain = false;
      this.requestTick(0);
    } else if (next !== undefined) this.requestTick(next);
  }

  /**
   * One tick: every step in order, with one `now`. Also `wg service tick` (no socket, no timers)
   * and the in-process tests. Ticks never overlap: a call during a tick runs after it.
   */
  tick(): Promise<TickSummary> {
    const t = this.last.then(() => this.tickNow());
    this.last = t.catch(() => undefined);
    return t;
  }

  private async tickNow(): Promise<TickSummary> {
    this.prepare();
    const t0 = performance.now();
    const now = this.clock.now();
    const { ctx, supervisor } = this;
    const steps: Record<string, number> = {};
    const step = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      const s = performance.now();
      try {
        return await fn();
      } finally {
        steps[name] = Math.round((performance.now() - s) * 100) / 100;
      }
    };
    this.log?.rotateIfNeeded();
    const pg = this.opts.pg;
    if (pg) {
      // This host's service, alive while it renews its lease (three poll intervals).
      await step('register', () => pg.registry.registerService(process.pid, 3 * this.settings.dispatcher.pollIntervalMs, { dir: this.paths.dir, max_agents: this.settings.dispatcher.maxAgents }));
    }
    await step('refresh', () => ctx.graph.refresh(now));
    // The registry after the graph: an agent's record is committed before its claim (spawn.ts),
    // so every claim this tick sees has its agent in the registry read next.
    if (pg) {
      await step('registry', () => ctx.registry.refresh?.());
      // `wg kill` on another host asked this host to stop one of its agents.
      await step('kill-requests', async () => {
        for (const id of await actOnKillRequests(ctx, now)) this.events.emit('agent:killed', { agent: id, task: ctx.registry.current().agents[id]?.task_id ?? '?', reason: 'manual' });
      });
    }
    // Hard timeouts: the kills start here; their exits come back as exits.
    await step('timeouts', () => {
      for (const id of supervisor.poll(now.getTime())) this.events.emit('agent:killed', { agent: id, task: ctx.registry.current().agents[id]?.task_id ?? '?', reason: 'timeout' });
    });
    // Agents an earlier service left behind: adopted (or their recorded exit taken) first.
    await step('adopt', () => adoptLeftBehind(ctx, now));
    const exits = supervisor.drainExits();
    await step('exits', () => handleExits(ctx, exits, now, this.memory.spawnFailures));
    const { liveness, alive } = await step('assess', () => assess(ctx, now, this.memory.idle));
    // With PostgreSQL, one reconciler at a time across hosts (an advisory lock; the others skip).
    const reclaimed = await step('reconcile', async () =>
      pg
        ? ((await pg.registry.asReconciler(async () => {
            if (Date.now() - this.lastPrune > 60_000) {
              this.lastPrune = Date.now();
              await pg.registry.pruneChanges(CHANGE_FEED_KEEP_MS);
            }
            return reconcile(ctx, liveness, now);
          })) ?? [])
        : reconcile(ctx, liveness, now),
    );
    const m = this.memory;
    await step('agency', () => agencyStep(ctx, m.agency, now));
    await step('wait', () => resumeWaiting(ctx, now));
    await step('stop', () => stopAgents(ctx, m.grace, now));
    const d = await step('dispatch', () => dispatchStep(ctx, m.dispatch, m.spawnFailures, { now, alive, liveness, paused: this.paused }));

    const summary: TickSummary = { alive: alive + d.spawned, ready: d.decision.spawn.length + d.decision.waiting.length, spawned: d.spawned, reclaimed: reclaimed.length, exits: exits.length, waiting: { ...m.dispatch.waiting }, ms: performance.now() - t0, decided: d.decided, steps };
    this.lastTick = summary;
    this.events.emit('tick:done', summary);
    ctx.graph.settle?.();
    return summary;
  }

  /** When to wake without an event: a time gate opens, a kill grace ends, a deadline, adopted agents. */
  private nextWakeMs(): number | undefined {
    const nowMs = this.clock.now().getTime();
    const times = [dispatchWakeMs(this.ctx, this.memory.dispatch), waitWakeMs(this.ctx, nowMs), this.memory.grace.wakeAtMs, this.supervisor.nextDeadlineMs(), this.memory.idle.wakeAtMs, this.supervisor.hasAdopted() ? nowMs + ADOPTED_POLL_MS : undefined];
    const next = Math.min(...times.map((t) => t ?? Infinity));
    return next === Infinity ? undefined : Math.max(5, next - nowMs + 5);
  }

  async shutdown(killAgents: boolean): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.firstTick) clearTimeout(this.firstTick);
    if (this.safety) clearInterval(this.safety);
    this.watcher?.close();
    this.server?.close();
    if (killAgents) await killAllAgents(this.ctx, this.clock.now());
    await this.listener?.close();
    if (this.opts.pg) {
      await this.opts.pg.registry.unregisterService().catch(() => undefined);
      await this.opts.pg.store.close();
    }
    this.events.emit('service:stopped', { kill_agents: killAgents });
    rmSync(this.paths.socket, { force: true });
    removeServiceState(this.paths);
    this.ctx.graph.close();
    this.lock?.release();
    this.log?.close();
    this.log = undefined;
    // Leave; agents keep running unless killed.
    setImmediate(() => (this.opts.exit ?? (() => process.exit(0)))());
  }
}
