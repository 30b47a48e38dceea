/**
 * Why is a task not ready? `readiness()` gives the direct reasons; `rootCauses` follows the
 * unsatisfied dependencies down to the tasks that actually need someone's action.
 */
import type { Graph } from './graph.js';
import { readiness, type Blocker } from './readiness.js';
import { READY_STATUSES } from './transitions.js';

export interface RootCause {
  /** The task that needs action. */
  id: string;
  /** Chain from the asked task down to it. */
  path: string[];
  /** Why it holds things up: its status, missing, paused, a time gate, … */
  reasons: Blocker[];
}

export function rootCauses(graph: Graph, id: string, now: Date): RootCause[] {
  const out: RootCause[] = [];
  const seen = new Set<string>([id]);
  const walk = (cur: string, path: string[]): void => {
    const r = readiness(graph, graph.peek(cur)!, now);
    for (const b of r.blockers) {
      if (b.kind !== 'dependency') {
        if (cur !== id) out.push({ id: cur, path, reasons: [b] });
        continue;
      }
      if (seen.has(b.id)) continue;
      seen.add(b.id);
      const next = [...path, b.id];
      const dep = graph.peek(b.id);
      if (!dep) out.push({ id: b.id, path: next, reasons: [b] });
      else if (READY_STATUSES.has(dep.status)) {
        // A waiting dependency: walk on. A ready one is itself the root cause: nobody started it.
        if (readiness(graph, dep, now, false).ready) out.push({ id: b.id, path: next, reasons: [{ kind: 'not-started' }] });
        else walk(b.id, next);
      }
      else out.push({ id: b.id, path: next, reasons: [{ kind: 'status', status: dep.status }] });
    }
  };
  if (graph.has(id)) walk(id, [id]);
  return out;
}

export interface FailedBlocker {
  /** The failed task. */
  id: string;
  failure_reason?: string | undefined;
  /** Open tasks downstream of it (transitively) that wait on it, in graph order. */
  blocked: string[];
}

/**
 * Failed tasks that hold other work back: for each failed task, the not-done tasks downstream of
 * it (following dependents). `wg service status` names them with the `wg retry` that fixes it
 * when nothing is ready; `wg status` lists every failed task.
 */
export function blockedBehindFailed(graph: Graph): FailedBlocker[] {
  const out: FailedBlocker[] = [];
  for (const t of graph.tasks.values()) {
    if (t.status !== 'failed') continue;
    const blocked = graph.closure([t.id], 'forward').filter((id) => id !== t.id && READY_STATUSES.has(graph.peek(id)?.status ?? 'done'));
    if (blocked.length) out.push({ id: t.id, failure_reason: graph.get(t.id)?.failure_reason, blocked });
  }
  return out;
}
