/**
 * What `wg gc` removes (pure): terminal system (dot) tasks — evaluations, assignments — finished
 * longer ago than the retention, and the directories (`.wg/agents/<id>/`: prompt, output log)
 * of agents that finished longer ago than the retention. The registry keeps its records of
 * those agents (`wg agents --all`, `wg spend` read them); the graph keeps every regular task
 * (`wg archive` moves those).
 */
import type { Graph } from '../graph.js';
import { isSystemId } from '../task.js';
import { isTerminal } from '../transitions.js';
import { parseTimestamp } from '../time.js';
import { companionSource } from '../claims.js';
import { finishedAt } from './archive.js';

export interface AgentDirFacts {
  id: string;
  /** The registry's status (absent: no record). */
  status?: string;
  completed_at?: string | undefined;
  /** The directory's last change. */
  mtimeMs: number;
}

export interface GcPlan {
  tasks: string[];
  agentDirs: string[];
  cutoff: string;
}

const ALIVE = new Set(['starting', 'working']);

export function planGc(graph: Graph, dirs: AgentDirFacts[], now: Date, retentionMs: number): GcPlan {
  const cut = now.getTime() - retentionMs;
  const tasks: string[] = [];
  for (const t of graph.tasks.values()) {
    if (!isSystemId(t.id) || !isTerminal(t.status)) continue;
    const at = finishedAt(graph.get(t.id) ?? t); // rows (the index) carry no timestamps
    if (at !== undefined && at > cut) continue;
    // An evaluation whose task still waits on it (pending-eval) is not garbage.
    const src = companionSource(t.id, 'evaluate');
    if (src !== undefined && graph.peek(src)?.status === 'pending-eval') continue;
    tasks.push(t.id);
  }
  const agentDirs: string[] = [];
  for (const d of dirs) {
    if (d.status && ALIVE.has(d.status)) continue;
    const ended = d.completed_at ? parseTimestamp(d.completed_at)?.getTime() : undefined;
    if ((ended ?? d.mtimeMs) > cut) continue;
    agentDirs.push(d.id);
  }
  return { tasks, agentDirs, cutoff: new Date(cut).toISOString() };
}
