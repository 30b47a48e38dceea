/**
 * The service's side of the agent's work loop (issue 11), as steps the daemon calls:
 *   - waitInputs: what the wait conditions of parked tasks need (messages since each parked,
 *     watched files' mtimes), read once per tick, for core/plans/wait.ts `planResumeWaiting`;
 *   - prepareWorkspace: before a spawn, the agent's own git worktree (when the project is a git
 *     repository and worktree_isolation is on), continuing an earlier attempt's unmerged branch;
 *   - queuedMessages / markDelivered: the messages a new agent finds in its prompt, recorded as
 *     delivered to it;
 *   - finishForService: a shell agent that exited 0 — the verify gate, then landing its branch;
 *   - afterAgentExit: the worktree of an agent that exited — removed with its branch once
 *     landed, else its leftovers committed on the branch (an archive commit) for the next attempt.
 */
import { statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describeVerify, runVerify } from '../agents/verify.js';
import { requiresValidation } from '../core/gates.js';
import type { Graph } from '../core/graph.js';
import { arrivedSince, type Message } from '../core/messages.js';
import type { Task } from '../core/task.js';
import { parkedAt, readWaitSpec, type ArrivedMessages, type WaitInputs } from '../core/wait.js';
import { cleanupLanded, finishWorktree, openWorkOf, projectRepo } from '../git/land.js';
import { gitOk } from '../git/git.js';
import { commitWork, createAgentWorktree, deleteBranchIfLanded, dirtyFiles, removeWorktreeDir } from '../git/worktree.js';
import { verifyTimeoutMs, type Settings } from '../settings.js';
import { MessageStore } from '../store/messages.js';
import type { WgPaths } from '../store/paths.js';
import { WorktreeRecords, type WorktreeRecord } from '../store/worktrees.js';

/** The data the wait conditions of every waiting task need now. Unreadable queues count as nothing new. */
export function waitInputs(paths: WgPaths, graph: Graph, now: Date): WaitInputs {
  const messages = new Map<string, ArrivedMessages>();
  const mtimes = new Map<string, number>();
  const store = new MessageStore(paths);
  for (const row of graph.tasks.values()) {
    if (row.status !== 'waiting') continue;
    const task = graph.get(row.id)!;
    const spec = readWaitSpec(task.wait_condition);
    if (!spec) continue;
    if (spec.conditions.some((c) => c.type === 'message' || c.type === 'human-input')) {
      try {
        const park = parkedAt(task);
        messages.set(task.id, arrivedSince(store.list(task.id), park.at, park.by));
      } catch {
        // a malformed queue is reported by `wg msg list`; it wakes nobody
      }
    }
    for (const c of spec.conditions) {
      if (c.type !== 'file-changed') continue;
      try {
        mtimes.set(c.path, Math.floor(statSync(c.path).mtimeMs / 1000));
      } catch {
        // absent: no change yet (unless it existed at the wait, which its mtime_at_wait says)
        if (c.mtime_at_wait) mtimes.set(c.path, -1);
      }
    }
  }
  return { now, messages, mtimes };
}

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
export async function prepareWorkspace(paths: WgPaths, settings: Settings, agentId: string, task: Task, now: Date): Promise<Workspace> {
  const projectDir = dirname(paths.dir);
  const shared: Workspace = { cwd: projectDir, env: {} };
  if (!settings.dispatcher.worktreeIsolation) return shared;
  const root = await projectRepo(paths);
  if (!root) return shared;
  const records = new WorktreeRecords(paths);
  const earlier = openWorkOf(records, task.id);
  const rec = await createAgentWorktree({ root, records, agent: agentId, task: task.id, now, ...(earlier ? { continueFrom: earlier } : {}) });
  return {
    cwd: join(rec.path, relative(root, projectDir)),
    env: { WG_WORKTREE_PATH: rec.path, WG_BRANCH: rec.branch, WG_PROJECT_ROOT: root },
    worktree: rec,
  };
}

/** Messages on the task the new agent has not seen (all of them, for a new agent). */
export function queuedMessages(paths: WgPaths, taskId: string, agentId: string): Message[] {
  try {
    return new MessageStore(paths).unread(taskId, agentId, false);
  } catch {
    return [];
  }
}

export function markDelivered(paths: WgPaths, taskId: string, agentId: string, messages: readonly Message[]): void {
  const last = messages.at(-1);
  if (last) new MessageStore(paths).markDelivered(agentId, taskId, last.id);
}

export interface ServiceFinish {
  /** The verify command failed: the task fails with this reason instead of being done. */
  failReason?: string;
  /** Log lines for the done (verify passed, merged / left for review). */
  notes: string[];
}

/**
 * A shell agent exited 0 with its task still in progress: the service finishes it as the agent's
 * `wg done` would — verify first, then land its branch (or hold it for approval). A branch that
 * cannot land does not undo the done: it is left for review and said so.
 */
export async function finishForService(paths: WgPaths, settings: Settings, task: Task, agentId: string, now: Date): Promise<ServiceFinish> {
  const notes: string[] = [];
  const records = new WorktreeRecords(paths);
  const rec = records.get(agentId);
  const own = rec && rec.task === task.id && rec.state === 'active' ? rec : undefined;
  const root = own ? await projectRepo(paths) : undefined;
  if (typeof task.verify === 'string' && task.verify.trim()) {
    const cwd = own && root ? join(own.path, relative(root, dirname(paths.dir))) : dirname(paths.dir);
    const r = await runVerify(task.verify, { cwd, timeoutMs: verifyTimeoutMs(task, settings.dispatcher), env: { ...process.env, WG_TASK_ID: task.id, WG_DIR: paths.dir }, graceMs: settings.dispatcher.killGraceMs });
    const line = describeVerify(task.verify, r);
    if (!r.ok) return { failReason: line, notes };
    notes.push(line);
  }
  if (own && root) {
    const f = await finishWorktree(root, paths, records, own, requiresValidation(task) ? 'hold' : 'land', now);
    notes.push(...f.notes);
  }
  return { notes };
}

/**
 * The agent's process is gone: its worktree goes. Landed work: the worktree, its branch and
 * the branches of earlier attempts it contains are removed. Otherwise anything uncommitted is
 * committed on the branch first (nothing is lost), the directory is removed and the branch is
 * kept for the next attempt or for review. Returns what was done, for the service log.
 */
export async function afterAgentExit(paths: WgPaths, agentId: string, now: Date): Promise<string | undefined> {
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

/**
 * The spawn failed after its worktree was made: a worktree nobody worked in (no commit beyond
 * its start, nothing uncommitted) is removed with its branch; anything else is archived.
 */
export async function discardUnusedWorktree(paths: WgPaths, rec: WorktreeRecord): Promise<void> {
  const root = await projectRepo(paths);
  if (!root) return;
  const records = new WorktreeRecords(paths);
  const start = rec.continues ?? rec.base_commit;
  const ahead = await gitOk(root, ['rev-list', '--count', `${start}..${rec.branch}`]).catch(() => '1');
  if (ahead === '0' && !(await dirtyFiles(rec.path)).length) {
    await removeWorktreeDir(root, rec);
    await gitOk(root, ['branch', '-D', rec.branch]);
    records.remove(rec.agent);
    return;
  }
  await afterAgentExit(paths, rec.agent, new Date());
}
