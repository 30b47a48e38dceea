/**
 * Stuck work (issue 12): what a human should look at first on a dashboard, most urgent first —
 * failed tasks, hung agents, stale claims, tasks blocked behind a failed one, and tasks waiting
 * for a human. Pure: the graph, each agent's liveness and idle time, and `now` in; the list out.
 * `wg tui` and `wg serve` both show this list (one rule, two views).
 */
import { deadClaim } from './claims.js';
import type { Graph } from './graph.js';
import type { LivenessMap } from './liveness.js';
import { isSystemId, type Task } from './task.js';
import { isTerminal } from './transitions.js';

export type StuckKind = 'failed' | 'hung' | 'stale-claim' | 'blocked-by-failed' | 'waiting-human';

/** The order a dashboard lists them in (most urgent first). */
export const STUCK_ORDER: readonly StuckKind[] = ['failed', 'hung', 'stale-claim', 'blocked-by-failed', 'waiting-human'];

export interface StuckItem {
  kind: StuckKind;
  task: string;
  title: string;
  status: string;
  /** One line: why it is stuck and what would unstick it. */
  why: string;
}

/** A live agent as the dashboard sees it: which task, and how long since its last output. */
export interface AgentActivity {
  id: string;
  task: string;
  /** Registry says starting/working. */
  running: boolean;
  idleMs: number;
}

export interface StuckOptions {
  /** An agent silent longer than this while running is hung. */
  hungAfterMs: number;
  /** At most this many items of each kind are listed (all are counted). Default 100. */
  maxPerKind?: number;
}

export interface StuckWork {
  /** Most urgent first, at most `maxPerKind` of each kind. */
  items: StuckItem[];
  /** How many there are of each kind (listed or not). */
  counts: Record<StuckKind, number>;
}

/** Statuses that wait for a human's decision. */
const HUMAN_STATUSES = new Set(['pending-validation', 'waiting']);

export function stuckWork(graph: Graph, liveness: LivenessMap, agents: readonly AgentActivity[], o: StuckOptions): StuckWork {
  const max = o.maxPerKind ?? 100;
  const counts: Record<StuckKind, number> = { 'failed': 0, 'hung': 0, 'stale-claim': 0, 'blocked-by-failed': 0, 'waiting-human': 0 };
  const items: StuckItem[] = [];
  // Items past the limit are only counted: at 10k tasks thousands of them would be built (and
  // thrown away) on every dashboard update.
  const out = {
    push(kind: StuckKind, make: () => Omit<StuckItem, 'kind'>): void {
      if (counts[kind]++ < max) items.push({ kind, ...make() });
    },
  };
  const failed: Task[] = [];
  for (const t of graph.tasks.values()) {
    if (isSystemId(t.id)) continue;
    if (t.status === 'failed') {
      // (A row has no failure_reason: the whole task is read for the few failed ones.)
      failed.push(t);
      // Only listed ones are read whole (for the failure reason).
      out.push('failed', () => ({ task: t.id, title: t.title, status: t.status, why: `${(graph.get(t.id) ?? t).failure_reason ?? 'failed'} — retry to re-queue` }));
    } else if ((t.status === 'in-progress' || t.status === 'open') && t.assigned) {
      const dead = deadClaim(t, liveness);
      if (dead) out.push('stale-claim', () => ({ task: t.id, title: t.title, status: t.status, why: `claimed by ${dead.agent}, ${dead.reason ?? 'not running'} — unclaim or retry` }));
    } else if (HUMAN_STATUSES.has(t.status)) {
      out.push('waiting-human', () => ({ task: t.id, title: t.title, status: t.status, why: t.status === 'waiting' ? 'waits for an answer or a condition' : 'waits for approve/reject' }));
    }
  }
  for (const a of agents) {
    if (!a.running || a.idleMs < o.hungAfterMs) continue;
    const t = graph.peek(a.task);
    out.push('hung', () => ({ task: a.task, title: t?.title ?? '', status: t?.status ?? 'missing', why: `${a.id} silent for ${Math.round(a.idleMs / 1000)} s — kill or retry` }));
  }
  // Blocked behind failed: every unfinished task downstream of a failed one (breadth first).
  const seen = new Set<string>(failed.map((t) => t.id));
  for (const root of failed) {
    const queue = [...graph.dependents(root.id)];
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const t = graph.peek(id);
      if (!t || isTerminal(t.status)) continue;
      if (!isSystemId(id)) {
        out.push('blocked-by-failed', () => ({ task: id, title: t.title, status: t.status, why: `behind failed '${root.id}'` }));
      }
      queue.push(...graph.dependents(id));
    }
  }
  const rank = (k: StuckKind): number => STUCK_ORDER.indexOf(k);
  return { items: items.sort((a, b) => rank(a.kind) - rank(b.kind)), counts };
}
