import { usageError, WgError } from '../errors.js';
import { Graph } from '../graph.js';
import { appendLog, logEntry, noChange, requireTask, type Actor, type Plan } from '../plan.js';
import { withFields, type Task } from '../task.js';

/** Refuses a graph in which `id` sits in a cycle that has no `cycle_config` member. */
export function assertNoUnconfiguredCycle(graph: Graph, id: string): void {
  const cycle = graph.cycleAnalysis().cycleOf.get(id);
  if (cycle && !cycle.configOwner) {
    throw new WgError('cycle', `this would create a dependency cycle without cycle_config: ${cycle.members.join(' → ')}`, {
      hint: 'remove the edge, or give one member a loop config (wg edit ID --max-iterations N)',
    });
  }
}

/** Replace tasks in a graph (for checking a candidate state). */
export function graphWith(graph: Graph, writes: Task[]): Graph {
  const replaced = new Map(writes.map((w) => [w.id, w]));
  return new Graph(graph.all().map((t) => replaced.get(t.id) ?? t));
}

/** `wg add-dep A B`: A waits for B. */
export function planAddDep(graph: Graph, dependent: string, dependency: string, who: Actor): Plan<{ changed: boolean }> {
  if (dependent === dependency) throw usageError(`task '${dependent}' cannot depend on itself`);
  const a = requireTask(graph, dependent);
  const b = requireTask(graph, dependency);
  const hasAfter = (a.after ?? []).includes(dependency);
  const hasBefore = (b.before ?? []).includes(dependent);
  if (hasAfter && hasBefore) return noChange({ changed: false });
  const writes: Task[] = [];
  const na = hasAfter ? a : appendLog(withFields(a, { after: [...(a.after ?? []), dependency] }), logEntry(who, `Now depends on '${dependency}'`));
  const nb = hasBefore ? b : withFields(b, { before: [...(b.before ?? []), dependent] });
  if (na !== a) writes.push(na);
  if (nb !== b) writes.push(nb);
  assertNoUnconfiguredCycle(graphWith(graph, writes), dependent);
  return { writes, ops: [{ op: 'link', task_id: dependent, detail: { after: dependency } }], result: { changed: true } };
}

/** `wg rm-dep A B`: A no longer waits for B. */
export function planRmDep(graph: Graph, dependent: string, dependency: string, who: Actor): Plan<{ changed: boolean }> {
  const a = requireTask(graph, dependent);
  const b = graph.get(dependency);
  const hasAfter = (a.after ?? []).includes(dependency);
  const hasBefore = !!b && (b.before ?? []).includes(dependent);
  if (!hasAfter && !hasBefore) return noChange({ changed: false });
  const writes: Task[] = [];
  if (hasAfter) {
    writes.push(appendLog(withFields(a, { after: (a.after ?? []).filter((x) => x !== dependency) }), logEntry(who, `No longer depends on '${dependency}'`)));
  }
  if (b && hasBefore) writes.push(withFields(b, { before: (b.before ?? []).filter((x) => x !== dependent) }));
  return { writes, ops: [{ op: 'unlink', task_id: dependent, detail: { after: dependency } }], result: { changed: true } };
}
