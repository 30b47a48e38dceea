/**
 * The prompt an agent receives (SPEC §4): the task, its description, what its dependencies
 * produced (artifacts and last log lines), the reasons earlier attempts failed, and the
 * required workflow.
 */
import type { Graph } from '../core/graph.js';
import type { Task } from '../core/task.js';
import { AGENT_GUIDE } from '../docs/agent-guide.js';

const LAST_LOG_LINES = 5;

export function buildPrompt(graph: Graph, task: Task, agentId: string): string {
  const out: string[] = [];
  out.push(`# Task ${task.id}: ${task.title}`, '', `You are ${agentId}. Your task id is ${task.id}.`);
  if (task.description) out.push('', '## Description', '', task.description);
  if (task.deliverables?.length) out.push('', '## Deliverables', '', ...task.deliverables.map((d) => `- ${d}`));
  const deps = (task.after ?? []).map((id) => graph.get(id)).filter((d): d is Task => !!d);
  if (deps.length) {
    out.push('', '## What your dependencies produced');
    for (const d of deps) {
      out.push('', `### ${d.id} (${d.status}): ${d.title}`);
      if (d.artifacts?.length) out.push('Artifacts:', ...d.artifacts.map((a) => `- ${a}`));
      const log = (d.log ?? []).slice(-LAST_LOG_LINES);
      if (log.length) out.push('Last log entries:', ...log.map((e) => `- ${e.timestamp} ${e.message}`));
    }
  }
  const previous = (task.log ?? []).filter((e) => /failed|stale claim|exceeded|killed/i.test(e.message));
  if ((task.retry_count ?? 0) > 0 || task.failure_reason || previous.length) {
    out.push('', '## Previous attempts');
    if (task.failure_reason) out.push(`Last failure: ${task.failure_reason}`);
    for (const e of previous.slice(-LAST_LOG_LINES)) out.push(`- ${e.timestamp} ${e.message}`);
    out.push('Avoid repeating what made them fail.');
  }
  out.push('', AGENT_GUIDE, 'Begin working on the task now.');
  return out.join('\n') + '\n';
}
