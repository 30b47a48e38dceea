/**
 * What both dashboards (`wg tui`, `wg serve`) show, as one plain value: the graph (the store's
 * LiveGraph view: rows, whole tasks on demand), the agents with their output tail, idle time and
 * tokens, the stuck-work list (core/stuck.ts) and the counts by status. Built by a
 * DashboardSource (source.ts) each time something changed.
 */
import type { WgEvent } from '../core/events.js';
import type { Graph } from '../core/graph.js';
import type { LivenessMap } from '../core/liveness.js';
import type { StuckItem, StuckKind } from '../core/stuck.js';
import type { Task, TokenUsage } from '../core/task.js';

export interface AgentRow {
  id: string;
  task: string;
  /** Registry status (starting, working, done, failed, dead). */
  status: string;
  /** Registry says starting/working. */
  running: boolean;
  /** The liveness rule's verdict (core/liveness.ts). */
  alive: boolean;
  reason?: string | undefined;
  pid?: number | undefined;
  executor?: string | undefined;
  model?: string | undefined;
  startedAt: string;
  /** Milliseconds since the agent last wrote output (or started). */
  idleMs: number;
  /** input + output tokens recorded on its task, when known. */
  tokens?: number | undefined;
  costUsd?: number | undefined;
  /** The last lines of its output file. */
  tail: string[];
}

export interface DashboardSnapshot {
  /** Bumped on every change the source saw (graph, registry, agent output). */
  version: number;
  now: Date;
  graph: Graph;
  /** Visible tasks (no system dot-tasks unless asked), file order. */
  tasks: Task[];
  counts: ReadonlyMap<string, number>;
  agents: AgentRow[];
  liveness: LivenessMap;
  /** Stuck work, most urgent first (at most 100 of each kind). */
  stuck: StuckItem[];
  stuckCounts: Record<StuckKind, number>;
  /** A service is running (its state file names a live PID). */
  service: { running: boolean; pid?: number | undefined };
  /** The latest events (oldest first) since the dashboard started. */
  recent: WgEvent[];
}

export function tokensOf(u: TokenUsage | undefined): number | undefined {
  if (!u) return undefined;
  const n = (u.input_tokens ?? 0) + (u.output_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
  return n || undefined;
}

/** Agent idle time as text: 4s, 3m, 2h. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
