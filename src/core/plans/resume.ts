/**
 * `wg resume ID [--only]` with the Rust tool's meaning (docs/rust-compat.md §7): resuming a
 * paused task also resumes every paused task downstream of it — reachable through dependents
 * (tasks whose `after` holds it, and the ids in its `before`), through unpaused tasks too —
 * unless `--only`. Before anything changes, the whole command refuses when a task of that set
 * depends on a task that does not exist, or when the set holds two or more members of a cycle
 * without `cycle_config` (they would deadlock). A task that is not paused is a no-op success
 * (as `wg pause` of a paused one; the Rust tool errors): nothing downstream is touched then.
 */
import { WgError } from '../errors.js';
import type { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type Task } from '../task.js';

export interface ResumeResult {
  task: Task;
  changed: boolean;
  /** Paused downstream tasks resumed with it (empty with --only). */
  downstream: string[];
}

/** Every task downstream of `id` (dependents and `before`, transitively), `id` excluded, in discovery order. */
export function downstreamOf(graph: Graph, id: string): string[] {
  const seen = new Set([id]);
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i]!;
    // `before` is not in an index row: the whole task (parsed on demand) has it.
    for (const n of [...graph.dependents(cur), ...(graph.get(cur)?.before ?? [])]) {
      if (seen.has(n) || !graph.has(n)) continue;
      seen.add(n);
      queue.push(n);
    }
  }
  return queue.slice(1);
}

export function planResume(graph: Graph, id: string, who: Actor, opts: { only?: boolean } = {}): Plan<ResumeResult> {
  const task = requireTask(graph, id);
  if (!task.paused) return noChange({ task, changed: false, downstream: [] });
  const set = opts.only ? [id] : [id, ...downstreamOf(graph, id)];
  for (const member of set) {
    const missing = (graph.peek(member)!.after ?? []).find((d) => !graph.has(d));
    if (missing) {
      throw new WgError('not_ready', `cannot resume '${id}': '${member}' depends on '${missing}', which does not exist`, {
        hint: `remove the dependency (wg rm-dep ${member} ${missing})${opts.only ? '' : ` or resume '${id}' alone (--only)`}`,
      });
    }
  }
  if (!opts.only) {
    const inSet = new Set(set);
    for (const c of graph.cycleAnalysis().cycles) {
      const members = c.members.filter((m) => inSet.has(m));
      if (!c.configOwner && members.length >= 2) {
        throw new WgError('cycle', `cannot resume '${id}': ${members.join(', ')} form a cycle without cycle_config (they would wait on each other forever)`, {
          hint: `break the cycle (wg rm-dep) or make it a loop (wg edit ${c.header} --max-iterations N), or resume '${id}' alone (--only)`,
        });
      }
    }
  }
  const writes = set.filter((m) => graph.peek(m)!.paused).map((m) => appendLog(withFields(graph.get(m)!, { paused: undefined }), logEntry(who, m === id ? 'Task resumed' : `Task resumed (downstream of '${id}')`)));
  const downstream = writes.slice(1).map((t) => t.id);
  return {
    writes,
    ops: writes.map((t) => ({ op: 'resume', task_id: t.id, ...(t.id !== id ? { detail: { via: id } } : {}) })),
    result: { task: writes[0]!, changed: true, downstream },
  };
}
