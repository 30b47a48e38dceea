/**
 * The prompt an agent receives (SPEC §4, §10): the task, its description, then the same
 * context `wg context` shows (render/context.ts: the checkpoint of an earlier attempt, review
 * feedback, why earlier attempts ended, what the dependencies produced, the messages queued
 * for the task), its worktree, and the agent guide (the work loop).
 */
import type { Graph } from '../core/graph.js';
import type { Identity } from '../agency/files.js';
import { buildContext } from '../core/context.js';
import type { Message } from '../core/messages.js';
import type { Task } from '../core/task.js';
import { AGENT_GUIDE } from '../docs/agent-guide.js';
import { renderContextSections } from '../render/context.js';

/**
 * The service's `wg` shim is first on the agent's PATH, but a login shell (`bash -lc`, codex's
 * default) may reset PATH from /etc/profile; the WG_* variables survive, so the shim's absolute
 * path does too.
 */
export const WG_PATH_HINT = 'If a shell says `wg: command not found` (a login shell can reset PATH), run it by its full path: "$WG_DIR/service/bin/wg".';

export interface PromptExtras {
  /** The agency identity of `task.agent` (SPEC §8), loaded from .wg/agency/. */
  identity?: Identity | undefined;
  /** The evaluation that sent this task back (eval-gate rescue). */
  feedback?: { score: number; notes?: string | null | undefined } | undefined;
  /** Messages queued for the task that this agent has not seen (the service marks them delivered). */
  messages?: Message[] | undefined;
  /** The agent's own git worktree. */
  worktree?: { path: string; branch: string; base?: string | undefined; continues?: string | undefined } | undefined;
}

export function buildPrompt(graph: Graph, task: Task, agentId: string, extras: PromptExtras = {}): string {
  const out: string[] = [];
  out.push(`# Task ${task.id}: ${task.title}`, '', `You are ${agentId}. Your task id is ${task.id}.`, WG_PATH_HINT);
  if (task.agent) out.push('', ...identitySection(task.agent, extras.identity));
  if (task.description) out.push('', '## Description', '', task.description);
  if (task.deliverables?.length) out.push('', '## Deliverables', '', ...task.deliverables.map((d) => `- ${d}`));
  if (typeof task.verify === 'string' && task.verify) out.push('', '## Verify', '', `wg done runs this first and refuses until it exits 0: ${task.verify}`);
  const context = renderContextSections(buildContext(graph, task.id, { unread: extras.messages ?? [] }));
  if (context.length) out.push('', ...context);
  if (extras.worktree) {
    const w = extras.worktree;
    out.push(
      '',
      '## Your worktree',
      '',
      `You work in your own git worktree: ${w.path} (branch ${w.branch}${w.base ? `, merged into ${w.base} by wg done` : ''}).`,
      ...(w.continues ? [`It continues the branch of an earlier attempt (${w.continues}): its work is already here.`] : []),
    );
  }
  if (extras.feedback) {
    out.push('', '## Evaluator feedback on the previous attempt', '', `It scored ${extras.feedback.score.toFixed(2)}, below the bar; this attempt must fix that.`);
    if (extras.feedback.notes) out.push(`Notes: ${extras.feedback.notes}`);
  }
  out.push('', AGENT_GUIDE, 'Begin working on the task now.');
  return out.join('\n') + '\n';
}

/** "Who you are": the role and tradeoff behind the task's agent identity hash. */
export function identitySection(hash: string, identity: Identity | undefined): string[] {
  const out = ['## Your identity', ''];
  const role = identity?.role;
  const tradeoff = identity?.tradeoff;
  if (!identity?.agent) {
    out.push(`Agent identity ${hash.slice(0, 8)} is assigned to this task, but it is not defined in .wg/agency/agents: work without a role.`);
    return out;
  }
  out.push(`You act as agent identity ${hash.slice(0, 8)}${identity.agent.name ? ` (${identity.agent.name})` : ''}.`);
  if (role) {
    out.push('', `### Role: ${role.name}`, '', role.description);
    if (role.skills?.length) out.push(`Skills: ${role.skills.join(', ')}`);
    if (role.outcome) out.push(`Desired outcome: ${role.outcome}`);
  } else out.push('', `Role ${identity.agent.role_id.slice(0, 8)} is missing from .wg/agency/roles.`);
  if (tradeoff) {
    out.push('', `### Tradeoff: ${tradeoff.name}`, '', tradeoff.description);
    if (tradeoff.acceptable?.length) out.push(`Acceptable: ${tradeoff.acceptable.join('; ')}`);
    if (tradeoff.unacceptable?.length) out.push(`Unacceptable: ${tradeoff.unacceptable.join('; ')}`);
  } else out.push('', `Tradeoff ${identity.agent.tradeoff_id.slice(0, 8)} is missing from .wg/agency/tradeoffs.`);
  return out;
}
