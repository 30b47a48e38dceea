/**
 * What `wg archive` moves out of graph.jsonl and what `wg archive restore` brings back (pure).
 * Archived: done or abandoned tasks (not system dot tasks: `wg gc` handles those), finished
 * before the cut-off, not in a cycle (a loop may re-open its members), with no evaluation
 * still running. A dependency on an archived task stays satisfied (readiness.ts).
 */
import { companionId } from '../claims.js';
import { WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { isSystemId, type Task } from '../task.js';
import { isTerminal } from '../transitions.js';
import { parseTimestamp } from '../time.js';

export const ARCHIVABLE = new Set(['done', 'abandoned']);

export interface ArchivePlan {
  ids: string[];
  /** Finished tasks kept, and why (for --dry-run / --json). */
  kept: Array<{ id: string; reason: string }>;
  cutoff: string;
}

/** When the task finished, as best recorded. */
export function finishedAt(t: Task): number | undefined {
  for (const v of [t.completed_at, t.started_at, t.created_at]) {
    const d = v ? parseTimestamp(v) : undefined;
    if (d) return d.getTime();
  }
  return undefined;
}

export function planArchive(graph: Graph, now: Date, olderThanMs: number): ArchivePlan {
  const cut = now.getTime() - olderThanMs;
  const ids: string[] = [];
  const kept: ArchivePlan['kept'] = [];
  let cycles: ReturnType<Graph['cycleAnalysis']> | undefined;
  for (const t of graph.tasks.values()) {
    if (!ARCHIVABLE.has(t.status) || isSystemId(t.id)) continue;
    const at = finishedAt(t);
    if (at !== undefined && at > cut) continue;
    cycles ??= graph.cycleAnalysis();
    if (cycles.cycleOf.has(t.id)) {
      kept.push({ id: t.id, reason: 'in a cycle (a loop iteration may re-open it)' });
      continue;
    }
    const ev = graph.peek(companionId('evaluate', t.id));
    if (ev && !isTerminal(ev.status)) {
      kept.push({ id: t.id, reason: `its evaluation ${ev.id} is ${ev.status}` });
      continue;
    }
    ids.push(t.id);
  }
  return { ids, kept, cutoff: new Date(cut).toISOString() };
}

/** Restoring `id`: refused when the graph already has a task with that id. */
export function checkRestore(graph: Graph, id: string, archived: Task | undefined): Task {
  if (!archived) throw new WgError('not_found', `task '${id}' is not in the archive`, { hint: "'wg archive search TEXT' finds archived tasks" });
  if (graph.has(id)) throw new WgError('already_exists', `task '${id}' is already in the graph`, { hint: `'wg show ${id}' shows it; the archived copy was left in place` });
  return archived;
}
