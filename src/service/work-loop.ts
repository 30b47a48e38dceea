/**
 * The service's side of the agent's work loop (issue 11) around an agent's life, called from the
 * spawn and exit steps (spawn.ts, exits.ts); each reports what it did as typed events and never
 * fails the step for a git error it can report instead:
 *   - prepareWorkspace: before a spawn, the agent's own git worktree (when the project is a git
 *     repository and worktree_isolation is on), continuing an earlier attempt's unmerged branch;
 *     discardWorkspace: the spawn failed, the unused worktree goes;
 *   - queuedMessages / deliverMessages: the messages a new agent finds in its prompt, recorded as
 *     delivered to it;
 *   - finishCleanExit: an agent that exited 0 still holding its task — the verify gate, then
 *     landing its branch (what its own `wg done` would have done);
 *   - cleanAfterExit: the worktree of an agent that exited — removed with its branch once
 *     landed, else its leftovers committed on the branch (an archive commit) for the next attempt.
 * (Parked tasks resuming: wait-step.ts.)
 */
import { dirname, join, relative } from 'node:path';
import { describeVerify, runVerify } from '../agents/verify.js';
import { requiresValidation } from '../core/gates.js';
import type { Message } from '../core/messages.js';
import type { AgentOutcome, ExitFinish } from '../core/plans/agent-death.js';
import { holdsClaim } from '../core/claims.js';
import type { Task } from '../core/task.js';
import { cleanupLanded, finishWorktree, openWorkOf, projectRepo } from '../git/land.js';
import { gitOk } from '../git/git.js';
import { commitWork, createAgentWorktree, deleteBranchIfLanded, dirtyFiles, removeWorktreeDir } from '../git/worktree.js';
import { verifyTimeoutMs } from '../settings.js';
import { MessageStore } from '../store/messages.js';
import type { WgPaths } from '../store/paths.js';
import { WorktreeRecords, type WorktreeRecord } from '../store/worktrees.js';
import type { StepContext } from './context.js';

export interface Workspace {
  /** The agent's working directory. */
  cwd: string;
  env: Record<string, string>;
  worktree?: WorktreeRecord;
}

/**
 * Where the agent works. With isolation on in a git repository: its own worktree (created now;
 * an error here fails the spawn, so no agent silently runs in the shared checkout), continuing
 * the task's newest unmerged branch when an earlier attempt left one.
 */
export async function prepareWorkspace(ctx: StepContext, agentId: string, task: Task, now: Date): Promise<Workspace> {
  const projectDir = dirname(ctx.paths.dir);
  const shared: Workspace = { cwd: projectDir, env: {} };
  if (!ctx.settings.dispatcher.worktreeIsolation) return shared;
  const root = await projectRepo(ctx.paths);
  if (!root) return shared;
  const records = new WorktreeRecords(ctx.paths);
  const earlier = openWorkOf(records, task.id);
  const rec = await createAgentWorktree({ root, records, agent: agentId, task: task.id, now, ...(earlier ? { continueFrom: earlier } : {}) });
  ctx.events.emit('worktree:created', { agent: agentId, task: task.id, path: rec.path, branch: rec.branch, ...(rec.continues ? { continues: rec.continues } : {}) });
  return {
    cwd: join(rec.path, relative(root, projectDir)),
    env: { WG_WORKTREE_PATH: rec.path, WG_BRANCH: rec.branch, WG_PROJECT_ROOT: root },
    worktree: rec,
  };
}

/**
 * The spawn failed after its worktree was made: a worktree nobody worked in (no commit beyond
 * its start, nothing uncommitted) is removed with its branch; anything else is archived.
 */
export async function discardWorkspace(ctx: StepContext, ws: Workspace | undefined, now: Date): Promise<void> {
  const rec = ws?.worktree;
  if (!rec) return;
  try {
    const root = await projectRepo(ctx.paths);
    if (!root) return;
    const start = rec.continues ?? rec.base_commit;
    const ahead = await gitOk(root, ['rev-list', '--count', `${start}..${rec.branch}`]).catch(() => '1');
    if (ahead === '0' && !(await dirtyFiles(rec.path)).length) {
      await removeWorktreeDir(root, rec);
      await gitOk(root, ['branch', '-D', rec.branch]);
      new WorktreeRecords(ctx.paths).remove(rec.agent);
      return;
    }
    await cleanAfterExit(ctx, rec.agent, now);
  } catch (e) {
    ctx.events.emit('worktree:error', { agent: rec.agent, error: (e as Error).message });
  }
}

/**
 * Messages on the task the new agent has not seen (all of them, for a new agent). A shell agent
 * never reads its prompt: its messages stay unread for its own `wg msg read`.
 */
export async function queuedMessages(ctx: StepContext, taskId: string, agentId: string, executor: string): Promise<Message[]> {
  if (executor === 'shell') return [];
  try {
    return ctx.messages ? await ctx.messages.unread(taskId, agentId, false) : new MessageStore(ctx.paths).unread(taskId, agentId, false);
  } catch {
    return [];
  }
}

/** The agent started with `messages` in its prompt: they are delivered to it. */
export async function deliverMessages(ctx: StepContext, taskId: string, agentId: string, messages: readonly Message[]): Promise<void> {
  const last = messages.at(-1);
  if (!last) return;
  try {
    if (ctx.messages) await ctx.messages.markDelivered(agentId, taskId, last.id);
    else new MessageStore(ctx.paths).markDelivered(agentId, taskId, last.id);
    ctx.events.emit('message:delivered', { agent: agentId, task: taskId, messages: messages.length, last: last.id });
  } catch (e) {
    ctx.warn('message:delivery-unrecorded', { agent: agentId, task: taskId, error: (e as Error).message }, 'cannot record message delivery');
  }
}

/**
 * The agent exited 0 with its task still in progress under its claim: the service finishes it
 * as the agent's own `wg done` would — verify first (in its worktree), then land its branch (or
 * hold it for approval). A branch that cannot land does not undo the done: it is left for review
 * and said so. Runs processes, so outside the graph lock; the exit plan (core/plans/agent-death.ts)
 * takes the result as data.
 */
export async function finishCleanExit(ctx: StepContext, agent: { id: string; task_id: string; claim_epoch?: number | undefined }, outcome: AgentOutcome, now: Date): Promise<ExitFinish> {
  if (outcome.kind !== 'exited' || outcome.code !== 0) return {};
  const task = ctx.graph.graph().get(agent.task_id);
  if (task?.status !== 'in-progress' || !holdsClaim(task, agent.id, agent.claim_epoch ?? 0)) return {};
  try {
    const notes: string[] = [];
    const records = new WorktreeRecords(ctx.paths);
    const rec = records.get(agent.id);
    const own = rec && rec.task === task.id && rec.state === 'active' ? rec : undefined;
    const root = own ? await projectRepo(ctx.paths) : undefined;
    if (typeof task.verify === 'string' && task.verify.trim()) {
      const projectDir = dirname(ctx.paths.dir);
      const cwd = own && root ? join(own.path, relative(root, projectDir)) : projectDir;
      const r = await runVerify(task.verify, { cwd, timeoutMs: verifyTimeoutMs(task, ctx.settings.dispatcher), env: { ...process.env, WG_TASK_ID: task.id, WG_DIR: ctx.paths.dir }, graceMs: ctx.settings.dispatcher.killGraceMs });
      const line = describeVerify(task.verify, r);
      if (!r.ok) return { verifyFailed: line, notes };
      notes.push(line);
    }
    if (own && root) {
      const f = await finishWorktree(root, ctx.paths, records, own, requiresValidation(task) ? 'hold' : 'land', now);
      notes.push(...f.notes);
    }
    if (notes.length) ctx.events.emit('worktree:finished', { agent: agent.id, task: task.id, notes });
    return { notes };
  } catch (e) {
    ctx.events.emit('worktree:error', { agent: agent.id, error: (e as Error).message });
    return {};
  }
}

/**
 * The agent's process is gone: its worktree goes. Landed work: the worktree, its branch and
 * the branches of earlier attempts it contains are removed. Otherwise anything uncommitted is
 * committed on the branch first (nothing is lost), the directory is removed and the branch is
 * kept for the next attempt or for review.
 */
export async function cleanAfterExit(ctx: StepContext, agentId: string, now: Date): Promise<void> {
  try {
    const detail = await cleanWorktree(ctx.paths, agentId, now);
    if (detail) ctx.events.emit('worktree:cleaned', { agent: agentId, detail });
  } catch (e) {
    ctx.events.emit('worktree:error', { agent: agentId, error: (e as Error).message });
  }
}

async function cleanWorktree(paths: WgPaths, agentId: string, now: Date): Promise<string | undefined> {
  const records = new WorktreeRecords(paths);
  const rec = records.get(agentId);
  if (!rec || rec.removed) return undefined;
  const root = await projectRepo(paths);
  if (!root) return undefined;
  if (rec.state === 'merged') {
    await cleanupLanded(root, records, rec);
    for (const other of records.ofTask(rec.task)) {
      if (other.agent !== agentId && other.state !== 'active' && other.removed && (await deleteBranchIfLanded(root, other))) records.remove(other.agent);
    }
    return `removed the worktree of ${agentId} and its merged branch ${rec.branch}`;
  }
  const commit = await commitWork(rec.path, `wg: ${rec.task} — uncommitted work of ${agentId} (attempt ended)`);
  await removeWorktreeDir(root, rec);
  records.update(agentId, { ...(rec.state === 'active' ? { state: 'unmerged' as const, note: 'the attempt ended before its work landed' } : {}), removed: true }, now);
  return `archived the worktree of ${agentId}${commit ? ` (commit ${commit.slice(0, 10)})` : ''}; its branch ${rec.branch} is kept`;
}
