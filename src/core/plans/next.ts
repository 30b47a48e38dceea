/**
 * `wg next [--actor A] [--claim]` (SPEC §10): the best next task for an actor the service did not
 * start (a human's own agent session, a CI job) — the loop is `wg next --claim`, work, `wg done`.
 * Order: higher priority first, then the task that unblocks the most work (its transitive
 * dependents not yet finished), then the oldest. A task the actor already holds comes first, so
 * a loop that crashed and restarts picks its own work up again. With `--claim` the choice and
 * the claim happen under one lock: two concurrent `next --claim` never get the same task.
 */
import type { Graph } from '../graph.js';
import { noChange, type Actor, type Plan } from '../plan.js';
import { readyTasks } from '../readiness.js';
import { isSystemId, type Task } from '../task.js';
import { parseTimestamp } from '../time.js';
import { isTerminal } from '../transitions.js';
import { claimedCopy } from './claim.js';

export interface NextCandidate {
  task: Task;
  priority: number;
  /** Unfinished tasks that (transitively) wait for this one. */
  unblocks: number;
  created_at: string | undefined;
}

export interface NextResult {
  task: Task;
  /** The actor already held it (in progress). */
  held: boolean;
  claimed: boolean;
  unblocks: number;
  /** Other ready candidates, in order (for the human view and --json). */
  others: NextCandidate[];
}

export function rankNext(graph: Graph, now: Date): NextCandidate[] {
  const rows = readyTasks(graph, now).filter((t) => !t.assigned && !isSystemId(t.id));
  const cands = rows.map((row) => {
    const task = graph.get(row.id)!;
    const unblocks = graph.closure([task.id], 'forward').filter((x) => x !== task.id && !isTerminal(graph.peek(x)!.status)).length;
    return { task, priority: task.priority, unblocks, created_at: task.created_at };
  });
  const age = (c: NextCandidate): number => (c.created_at ? (parseTimestamp(c.created_at)?.getTime() ?? Infinity) : Infinity);
  return cands
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.priority - a.c.priority || b.c.unblocks - a.c.unblocks || age(a.c) - age(b.c) || a.i - b.i)
    .map((x) => x.c);
}

export function planNext(graph: Graph, who: Actor, opts: { claim?: boolean } = {}): Plan<NextResult | undefined> {
  for (const row of graph.tasks.values()) {
    if (row.status === 'in-progress' && row.assigned === who.actor && !isSystemId(row.id)) {
      const task = graph.get(row.id)!;
      return noChange({ task, held: true, claimed: false, unblocks: 0, others: [] });
    }
  }
  const ranked = rankNext(graph, who.now);
  const best = ranked[0];
  if (!best) return noChange(undefined);
  const others = ranked.slice(1);
  if (!opts.claim) return noChange({ task: best.task, held: false, claimed: false, unblocks: best.unblocks, others });
  const next = claimedCopy(best.task, who.actor, who, `Task claimed by ${who.actor} (wg next)`);
  return {
    writes: [next],
    ops: [{ op: 'claim', task_id: next.id, detail: { actor: who.actor, epoch: next.claim_epoch, next: true } }],
    result: { task: next, held: false, claimed: true, unblocks: best.unblocks, others },
  };
}
