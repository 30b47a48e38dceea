/**
 * The task page (SPEC §6): a metadata block, then Description, Depends on, Required by, Log —
 * the layout of the Rust tool's task page, shared by `wg show` and (later) `wg html`.
 */
import { maxRejections, requiresValidation } from '../core/gates.js';
import type { TaskView } from '../core/graph.js';
import type { Task } from '../core/task.js';
import { describeWait, readWaitSpec } from '../core/wait.js';

export interface EvalSummary {
  score: number;
  dimensions: Record<string, number>;
}

export interface TaskPage {
  metadata: Array<[string, string]>;
  description: string | undefined;
  dependsOn: Array<{ id: string; title: string | undefined; status: string }>;
  requiredBy: Array<{ id: string; title: string; status: string }>;
  log: Task['log'];
}

/** An agent worktree of the task, as `wg show` reports it. */
export interface WorktreeLine {
  agent: string;
  branch: string;
  state: string;
  detail?: string;
}

export function taskPage(graph: TaskView, task: Task, evaluation?: EvalSummary, worktrees: readonly WorktreeLine[] = []): TaskPage {
  const md: Array<[string, string]> = [];
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') md.push([k, v]);
  };
  add('Status', task.status + (task.paused ? ' (paused)' : ''));
  add('Priority', task.priority !== 10 ? String(task.priority) : undefined);
  add('Assigned', task.assigned ? `${task.assigned}${task.claim_epoch ? ` (epoch ${task.claim_epoch})` : ''}` : undefined);
  add('Agent identity', task.agent);
  add('Model', task.model);
  add('Exec', task.exec);
  add('Created', task.created_at);
  add('Started', task.started_at);
  add('Completed', task.completed_at);
  add('Not before', task.not_before);
  add('Ready after', task.ready_after);
  add('Tags', task.tags?.length ? task.tags.join(', ') : undefined);
  add('Artifacts', task.artifacts?.length ? task.artifacts.join(', ') : undefined);
  add('Retries', task.retry_count || task.max_retries !== undefined ? `${task.retry_count ?? 0}${task.max_retries !== undefined ? `/${task.max_retries}` : ''}` : undefined);
  add('Failure reason', task.failure_reason);
  add('Failure class', task.failure_class);
  add('Verify', typeof task.verify === 'string' ? task.verify : undefined);
  if (requiresValidation(task) || task.rejection_count) {
    add('Validation', `${task.validation ?? 'none'}${task.rejection_count ? ` (rejected ${task.rejection_count}/${maxRejections(task)})` : ''}`);
  }
  const wait = task.status === 'waiting' ? readWaitSpec(task.wait_condition) : undefined;
  add('Waiting for', wait ? describeWait(wait) : undefined);
  if (typeof task.checkpoint === 'string' && task.checkpoint) {
    const first = task.checkpoint.split('\n')[0]!;
    add('Checkpoint', first.length > 100 ? `${first.slice(0, 100)}…` : first);
  }
  for (const w of worktrees) add(`Worktree`, `${w.branch} (${w.agent}): ${w.state}${w.detail ? ` — ${w.detail}` : ''}`);
  if (task.cycle_config) add('Loop', `iteration ${(task.loop_iteration ?? 0) + 1}/${task.cycle_config.max_iterations || 'unlimited'}`);
  if (evaluation) {
    add('Eval score', evaluation.score.toFixed(2));
    for (const [dim, v] of Object.entries(evaluation.dimensions).sort(([a], [b]) => a.localeCompare(b))) {
      md.push([`└ ${dim.replace(/_/g, ' ')}`, v.toFixed(2)]);
    }
  }
  return {
    metadata: md,
    description: task.description,
    // Rows (graph.peek) carry title and status: no whole-task parse per neighbour.
    dependsOn: (task.after ?? []).map((id) => {
      const d = graph.peek(id);
      return { id, title: d?.title, status: d ? d.status : 'missing' };
    }),
    requiredBy: graph.dependents(task.id).map((id) => {
      const d = graph.peek(id)!;
      return { id, title: d.title, status: d.status };
    }),
    log: task.log,
  };
}

export function renderTaskPageText(task: Task, page: TaskPage): string[] {
  const out: string[] = [task.id, task.title, ''];
  const width = Math.max(...page.metadata.map(([k]) => [...k].length), 0) + 2;
  for (const [k, v] of page.metadata) out.push(`${k}${' '.repeat(width - [...k].length)}${v}`);
  out.push('', 'Description');
  out.push(...(page.description ? page.description.split('\n').map((l) => `  ${l}`) : ['  (no description)']));
  out.push('', 'Depends on');
  out.push(...(page.dependsOn.length ? page.dependsOn.map((d) => `  ${d.id} (${d.status})`) : ['  (none)']));
  out.push('', 'Required by');
  out.push(...(page.requiredBy.length ? page.requiredBy.map((d) => `  ${d.id} (${d.status})`) : ['  (none)']));
  out.push('', 'Log');
  out.push(...(page.log?.length ? page.log.map((e) => `  ${e.timestamp} ${e.actor ? `[${e.actor}] ` : ''}${e.message}`) : ['  (empty)']));
  return out;
}
