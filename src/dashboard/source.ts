/**
 * The dashboards' feed: a DashboardSource hands out the current snapshot and tells subscribers
 * when it changed. It follows THE event source (src/events/source.ts: the operations log and the
 * service's typed events) and re-reads on every event; the reads are the store's incremental
 * ones: LiveGraph (one stat of graph.jsonl when idle, the change journal replayed otherwise),
 * RegistryView (one stat), and a stat of each running agent's output file. Agent output and
 * idle time are not events, so a timer also polls at `intervalMs`. `poke()` re-reads at once
 * (after an action the dashboard applied).
 */
import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { registryLiveness } from '../agents/liveness.js';
import type { WgEvent } from '../core/events.js';
import { stuckWork, type AgentActivity } from '../core/stuck.js';
import { isSystemId, type Task } from '../core/task.js';
import { parseTimestamp } from '../core/time.js';
import { EventReader } from '../events/source.js';
import { LiveGraph } from '../store/live-graph.js';
import type { WgPaths } from '../store/paths.js';
import { isAliveStatus, RegistryView, type AgentRecord } from '../store/registry.js';
import { tokensOf, type AgentRow, type DashboardSnapshot } from './snapshot.js';

export interface DashboardSource {
  current(): DashboardSnapshot;
  /** Called after every change; returns the unsubscribe function. */
  subscribe(fn: (s: DashboardSnapshot) => void): () => void;
  /** Re-read now (after an action the dashboard applied, or an event). */
  poke(): void;
  close(): void;
}

export interface SourceOptions {
  /** Poll interval (ms). */
  intervalMs: number;
  heartbeatTimeoutMs: number;
  /** An agent silent longer than this is listed as hung. */
  hungAfterMs: number;
  /** Show system (dot) tasks. */
  includeSystem?: boolean;
  /** Agents that finished are kept on the dashboard this long (ms). */
  finishedAgentsMs?: number;
  now?: () => Date;
}

const TAIL_BYTES = 4096;
const TAIL_LINES = 6;

/** The last lines of a file (at most TAIL_BYTES read), control characters removed. */
export function tailLines(path: string | undefined, n = TAIL_LINES): string[] {
  if (!path) return [];
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf
      .toString('utf8')
      .split('\n')
      // eslint-disable-next-line no-control-regex
      .map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd())
      .filter((l) => l);
    return lines.slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function serviceState(paths: WgPaths): { running: boolean; pid?: number } {
  try {
    const pid = (JSON.parse(readFileSync(paths.state, 'utf8')) as { pid?: unknown }).pid;
    if (typeof pid !== 'number') return { running: false };
    try {
      process.kill(pid, 0);
      return { running: true, pid };
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? { running: true, pid } : { running: false };
    }
  } catch {
    return { running: false };
  }
}

const mtimeMs = (path: string | undefined): number | undefined => {
  if (!path) return undefined;
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/** The events kept for the dashboards' "recent events" list. */
const RECENT_EVENTS = 30;

export class LiveSource implements DashboardSource {
  private readonly live: LiveGraph;
  private readonly registry: RegistryView;
  private readonly subs = new Set<(s: DashboardSnapshot) => void>();
  private snap: DashboardSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private outputKey = '';
  private lastRegistry: unknown;
  private lastGen = -1;
  private version = 0;
  private lastSecond = 0;
  private serviceKey = '';
  private readonly recent: WgEvent[] = [];
  private readonly stopEvents = new AbortController();
  private eventPending = false;

  constructor(
    readonly paths: WgPaths,
    private readonly o: SourceOptions,
  ) {
    // Read-only: the dashboards' actions write through the CLI's store, never through this copy.
    this.live = new LiveGraph(paths, undefined, { keepStored: false });
    this.registry = new RegistryView(paths);
    const reader = new EventReader(paths, { from: 'end' });
    this.snap = this.build();
    void reader.follow((e) => this.onEvent(e), { signal: this.stopEvents.signal, pollMs: Math.max(o.intervalMs, 250) });
    this.timer = setInterval(() => this.poke(), o.intervalMs);
    this.timer.unref?.();
  }

  /** Events come in bursts (a write is several operations): one re-read per turn of the loop. */
  private onEvent(e: WgEvent): void {
    this.recent.push(e);
    if (this.recent.length > RECENT_EVENTS) this.recent.splice(0, this.recent.length - RECENT_EVENTS);
    if (this.eventPending) return;
    this.eventPending = true;
    setImmediate(() => {
      this.eventPending = false;
      this.poke(true);
    });
  }

  current(): DashboardSnapshot {
    return this.snap;
  }

  subscribe(fn: (s: DashboardSnapshot) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  poke(event = false): void {
    let changed: boolean;
    try {
      this.live.refresh();
      const reg = this.registry.get();
      const outKey = this.outputsKey(Object.values(reg.agents));
      const svc = serviceState(this.paths);
      const svcKey = `${svc.running}:${svc.pid ?? ''}`;
      const second = Math.floor(this.now().getTime() / 1000);
      // Idle times move every second, but only running agents show one.
      const tick = second !== this.lastSecond && this.snap.agents.some((a) => a.running);
      changed = event || this.live.generation !== this.lastGen || reg !== this.lastRegistry || outKey !== this.outputKey || svcKey !== this.serviceKey || tick;
    } catch {
      return; // a torn read (the graph mid-rename): the next poll sees it whole
    }
    if (!changed) return;
    this.snap = this.build();
    for (const fn of this.subs) fn(this.snap);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.subs.clear();
    this.stopEvents.abort();
    this.live.close();
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  private outputsKey(agents: AgentRecord[]): string {
    return agents
      .filter((a) => isAliveStatus(a.status))
      .map((a) => `${a.id}:${mtimeMs(a.output_file) ?? ''}`)
      .join(',');
  }

  private build(): DashboardSnapshot {
    const now = this.now();
    const nowMs = now.getTime();
    const graph = this.live.graph();
    const reg = this.registry.get();
    this.lastGen = this.live.generation;
    this.lastRegistry = reg;
    this.lastSecond = Math.floor(nowMs / 1000);
    const svc = serviceState(this.paths);
    this.serviceKey = `${svc.running}:${svc.pid ?? ''}`;
    const liveness = registryLiveness(reg, nowMs, this.o.heartbeatTimeoutMs);
    const keepMs = this.o.finishedAgentsMs ?? 10 * 60_000;
    const records = Object.values(reg.agents)
      .filter((a) => isAliveStatus(a.status) || nowMs - (parseTimestamp(a.completed_at ?? a.started_at)?.getTime() ?? 0) < keepMs)
      .sort((a, b) => Number(isAliveStatus(b.status)) - Number(isAliveStatus(a.status)) || Number(b.id.slice(6)) - Number(a.id.slice(6)));
    this.outputKey = this.outputsKey(records);
    const agents: AgentRow[] = records.map((a) => {
      const running = isAliveStatus(a.status);
      const started = parseTimestamp(a.started_at)?.getTime() ?? nowMs;
      const last = Math.max(started, mtimeMs(a.output_file) ?? 0);
      const task: Task | undefined = graph.has(a.task_id) ? graph.get(a.task_id) : undefined;
      const l = liveness.get(a.id);
      return {
        id: a.id,
        task: a.task_id,
        status: a.status,
        running,
        alive: !!l?.alive,
        reason: l?.reason,
        pid: a.pid,
        executor: a.executor,
        model: a.model,
        startedAt: a.started_at,
        idleMs: running ? Math.max(0, nowMs - last) : 0,
        tokens: tokensOf(task?.token_usage),
        costUsd: task?.token_usage?.cost_usd,
        tail: tailLines(a.output_file),
      };
    });
    const activity: AgentActivity[] = agents.map((a) => ({ id: a.id, task: a.task, running: a.running && a.alive, idleMs: a.idleMs }));
    const tasks: Task[] = [];
    const counts = new Map<string, number>();
    for (const t of graph.tasks.values()) {
      if (!this.o.includeSystem && isSystemId(t.id)) continue;
      tasks.push(t);
      counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    }
    const stuck = stuckWork(graph, liveness, activity, { hungAfterMs: this.o.hungAfterMs });
    return {
      version: ++this.version,
      now,
      graph,
      tasks,
      counts,
      agents,
      liveness,
      stuck: stuck.items,
      stuckCounts: stuck.counts,
      service: svc,
      recent: [...this.recent],
    };
  }
}
