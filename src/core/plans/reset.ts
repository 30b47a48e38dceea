/**
 * `wg reset SEED` (SPEC §5): the closure of SEED (forward = dependents by default), minus system
 * tasks, goes back to open with a clean slate: claim cleared (epoch+1), retry_count 0,
 * timestamps and failure fields cleared. Live agents in the closure are named for killing.
 */
import type { Graph } from '../graph.js';
import { isValidTaskId } from '../ids.js';
import { hasLiveAgent, release } from '../claims.js';
import type { LivenessMap } from '../liveness.js';
import { appendLog, logEntry, requireTask, type Actor, type Plan } from '../plan.js';
import type { Status, Task } from '../task.js';
import { usageError } from '../errors.js';

export type Direction = 'forward' | 'backward' | 'both';

export interface ResetEntry {
  id: string;
  from: Status;
  assigned?: string;
  kill?: string;
}

export function parseDirection(v: string): Direction {
  if (v === 'forward' || v === 'backward' || v === 'both') return v;
  throw usageError(`invalid --direction '${v}'`, 'use forward (dependents, the default), backward (dependencies) or both');
}

export function planReset(graph: Graph, seed: string, direction: Direction, liveness: LivenessMap, who: Actor): Plan<{ entries: ResetEntry[]; kill: string[] }> {
  requireTask(graph, seed);
  const ids = isValidTaskId(seed) ? graph.closure([seed], direction) : [];
  const writes: Task[] = [];
  const entries: ResetEntry[] = [];
  const kill: string[] = [];
  for (const id of ids) {
    const t = graph.get(id)!;
    const liveHolder = hasLiveAgent(t, liveness);
    if (liveHolder) kill.push(t.assigned!);
    entries.push({ id, from: t.status, ...(t.assigned ? { assigned: t.assigned } : {}), ...(liveHolder ? { kill: t.assigned! } : {}) });
    writes.push(
      appendLog(
        release(t, 'open', {
          retry_count: undefined,
          started_at: undefined,
          completed_at: undefined,
          failure_reason: undefined,
          failure_class: undefined,
          ready_after: undefined,
        }),
        logEntry(who, `Reset via 'wg reset ${seed}' (was ${t.status}${t.assigned ? `, claimed by ${t.assigned}` : ''})`),
      ),
    );
  }
  return {
    writes,
    ops: [{ op: 'reset', task_id: seed, detail: { direction, tasks: ids } }],
    kills: kill.map((agent) => ({ agent, reason: `killed by wg reset ${seed}` })),
    result: { entries, kill },
  };
}
