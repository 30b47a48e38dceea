import { usageError, WgError } from '../errors.js';
import { Graph } from '../graph.js';
import { nearestId, requireValidTaskId, slugFromTitle, uniqueId } from '../ids.js';
import { validationFromFlag, withValidationSection } from '../gates.js';
import { logEntry, type Actor, type Plan } from '../plan.js';
import { withFields, type CycleConfig, type Task } from '../task.js';
import { formatTimestamp } from '../time.js';
import type { WaitSpec } from '../wait.js';
import { assertNoUnconfiguredCycle } from './deps.js';
import { planWait } from './wait.js';

export interface AddInput {
  title: string;
  id?: string;
  description?: string;
  after?: string[];
  tags?: string[];
  priority?: number;
  exec?: string;
  model?: string;
  maxRetries?: number;
  timeout?: string;
  paused?: boolean;
  notBefore?: Date;
  allowPhantom?: boolean;
  deliverables?: string[];
  cycle?: CycleConfig;
  /** The verify gate: a shell command `wg done` must pass. */
  verify?: string;
  verifyTimeout?: string;
  /** `--validation`: a mode word, or criteria text (the `external` gate + a `## Validation` section). */
  validation?: string;
  maxRejections?: number;
  /**
   * The task of the agent adding this one (`$WG_TASK_ID`). As in the Rust tool, a task an agent
   * adds with no `--after` comes after the agent's task (follow-up work), unless `independent`.
   */
  parent?: string;
  independent?: boolean;
}

export function planAdd(graph: Graph, input: AddInput, who: Actor): Plan<{ task: Task; generatedId: boolean }> {
  const title = input.title.trim();
  if (!title) throw usageError('empty title', 'give the task a title: wg add "Fix the login bug"');
  const generatedId = input.id === undefined;
  const id = input.id !== undefined ? requireValidTaskId(input.id) : uniqueId(slugFromTitle(title), (x) => graph.has(x));
  if (!generatedId && graph.has(id)) throw new WgError('already_exists', `task '${id}' already exists`, { hint: 'choose another --id, or omit it to derive one from the title' });

  const explicitAfter = dedupe(input.after ?? []);
  const implicitParent = !explicitAfter.length && !input.independent && !!input.parent && graph.has(input.parent) && input.parent !== id;
  const after = implicitParent ? [input.parent!] : explicitAfter;
  for (const dep of after) {
    if (dep === id) throw usageError(`task '${id}' cannot depend on itself`);
    requireValidTaskId(dep, 'dependency id');
    if (!graph.has(dep) && !input.allowPhantom && !graph.archived?.has(dep)) {
      const near = nearestId(dep, graph.tasks.keys());
      throw new WgError('not_found', `dependency '${dep}' does not exist`, {
        hint: near ? `did you mean '${near}'? (or pass --allow-phantom to depend on a task not yet created)` : 'create it first, or pass --allow-phantom',
      });
    }
  }

  const now = formatTimestamp(who.now);
  // Existing tasks that already name the new id (phantom dependencies) become its dependents.
  const before = graph.dependents(id).slice();
  let task: Task = {
    kind: 'task',
    id,
    title,
    status: 'open',
    priority: input.priority ?? 10,
    created_at: now,
  };
  task = withFields(task, {
    description: input.description || undefined,
    after: after.length ? after : undefined,
    before: before.length ? before : undefined,
    tags: input.tags?.length ? dedupe(input.tags) : undefined,
    deliverables: input.deliverables?.length ? input.deliverables : undefined,
    exec: input.exec,
    exec_mode: input.exec ? 'shell' : undefined,
    model: input.model,
    max_retries: input.maxRetries,
    timeout: input.timeout,
    not_before: input.notBefore ? formatTimestamp(input.notBefore) : undefined,
    cycle_config: input.cycle,
    paused: input.paused || undefined,
    verify: input.verify?.trim() || undefined,
    verify_timeout: input.verifyTimeout,
    max_rejections: input.maxRejections,
    log: [logEntry(who, `${input.paused ? 'Task added (paused draft)' : 'Task added'}${input.parent ? ` by ${who.actor} while working on ${input.parent}${implicitParent ? ' (runs after it)' : ''}` : ''}`)],
  });
  if (input.validation !== undefined) {
    const v = validationFromFlag(input.validation);
    task = withFields(task, { validation: v.mode, ...(v.criteria ? { description: withValidationSection(task.description, v.criteria) } : {}) });
  }

  const writes: Task[] = [];
  // Keep `before` (the mirror of `after`) consistent on each dependency.
  for (const dep of after) {
    const d = graph.get(dep);
    if (!d) continue;
    let next = d;
    if (!(d.before ?? []).includes(id)) next = withFields(next, { before: [...(d.before ?? []), id] });
    // A loop: `--max-iterations` with `--after A` also makes A wait for the new task (back-edge).
    if (input.cycle && !(d.after ?? []).includes(id)) next = withFields(next, { after: [...(d.after ?? []), id] });
    if (next !== d) writes.push(next);
  }
  if (input.cycle) task = withFields(task, { before: dedupe([...(task.before ?? []), ...after]) });

  if (before.length || input.cycle) {
    const replaced = new Map(writes.map((w) => [w.id, w]));
    const next = new Graph([...graph.all().map((t) => replaced.get(t.id) ?? t), task]);
    assertNoUnconfiguredCycle(next, id);
  }
  writes.push(task);
  return { writes, ops: [{ op: 'add_task', task_id: id, detail: { title } }], result: { task, generatedId } };
}

export const dedupe = (xs: string[]): string[] => [...new Set(xs)];

/**
 * `wg add --subtask` (the Rust tool's): the new task is independent, and the agent's own task
 * parks until it is done or failed (status waiting, claim released): one write for both.
 */
export function planAddSubtask(graph: Graph, input: AddInput, parentId: string, who: Actor): Plan<{ task: Task; generatedId: boolean }> {
  if ((input.after ?? []).includes(parentId)) throw usageError(`a subtask of '${parentId}' cannot come after it (${parentId} waits for the subtask)`, 'drop --after, or drop --subtask');
  const added = planAdd(graph, { ...input, independent: true }, who);
  const child = added.result.task.id;
  const spec: WaitSpec = {
    mode: 'any',
    conditions: [
      { type: 'task-status', task_id: child, status: 'done' },
      { type: 'task-status', task_id: child, status: 'failed' },
    ],
  };
  // The parent is not among planAdd's writes (the subtask does not depend on it).
  const parked = planWait(graph, parentId, spec, `task:${child}=done|task:${child}=failed`, who);
  return { writes: [...added.writes, ...parked.writes], ops: [...added.ops, ...parked.ops], result: added.result };
}
