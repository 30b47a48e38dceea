/**
 * The task page (SPEC §6): a metadata block, then Description, Depends on, Required by, Log —
 * the layout of the Rust tool's task page, shared by `wg show` and (later) `wg html`.
 */
import { maxRejections, requiresValidation } from '../core/gates.js';
import type { TaskView } from '../core/graph.js';
import type { Task } from '../core/task.js';
import { oneLine, textLine } from './escape.js';
import { describeWait, readWaitSpec } from '../core/wait.js';

export interface EvalSummary {
  score: number;
  dimensions: Record<string, number>;
}

/** The last lines of the agent's output (wg show: a failed or running task). */
export interface AgentOutputTail {
  agent: string;
  lines: string[];
}

export interface TaskPage {
  metadata: Array<[string, string]>;
  agentOutput?: AgentOutputTail;
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
  add('Tokens', formatTokens(task.token_usage));
  add('Cost', typeof task.token_usage?.cost_usd === 'number' ? `$${task.token_usage.cost_usd.toFixed(4)}` : undefined);
  add('Session', typeof task.session_id === 'string' ? task.session_id : undefined);
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

const n = (v: number): string => v.toLocaleString('en-US');

/**
 * `input_tokens` means the same for every executor: input neither read from nor written to the
 * prompt cache (docs/service.md "Token usage"); the cache counts follow when present.
 */
export function formatTokens(u: Task['token_usage']): string | undefined {
  if (!u) return undefined;
  const parts: string[] = [];
  const get = (k: string): number | undefined => (typeof u[k] === 'number' ? u[k] : undefined);
  const input = get('input_tokens');
  const output = get('output_tokens');
  const read = get('cache_read_input_tokens');
  const write = get('cache_creation_input_tokens');
  if (input !== undefined) parts.push(`${n(input)} in`);
  if (output !== undefined) parts.push(`${n(output)} out`);
  if (read !== undefined) parts.push(`${n(read)} cache read`);
  if (write !== undefined) parts.push(`${n(write)} cache write`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** The page as terminal lines: every field one line (control characters escaped); the description keeps its newlines and tabs. */
export function renderTaskPageText(task: Task, page: TaskPage): string[] {
  const out: string[] = [oneLine(task.id), oneLine(task.title), ''];
  const width = Math.max(...page.metadata.map(([k]) => [...k].length), 0) + 2;
  for (const [k, v] of page.metadata) out.push(`${k}${' '.repeat(width - [...k].length)}${oneLine(v)}`);
  out.push('', 'Description');
  out.push(...(page.description ? page.description.split('\n').map((l) => `  ${textLine(l)}`) : ['  (no description)']));
  out.push('', 'Depends on');
  out.push(...(page.dependsOn.length ? page.dependsOn.map((d) => `  ${oneLine(d.id)} (${d.status})`) : ['  (none)']));
  out.push('', 'Required by');
  out.push(...(page.requiredBy.length ? page.requiredBy.map((d) => `  ${oneLine(d.id)} (${d.status})`) : ['  (none)']));
  out.push('', 'Log');
  out.push(...(page.log?.length ? page.log.map((e) => `  ${oneLine(e.timestamp)} ${e.actor ? `[${oneLine(e.actor)}] ` : ''}${oneLine(e.message)}`) : ['  (empty)']));
  if (page.agentOutput) {
    const a = page.agentOutput;
    out.push('', `Agent output (${a.agent}, last ${a.lines.length} lines; more: wg agents log ${a.agent})`);
    out.push(...(a.lines.length ? a.lines.map((l) => `  ${oneLine(l)}`) : ['  (no output)']));
  }
  return out;
}
