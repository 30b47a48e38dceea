/**
 * What `wg done` and `wg approve` do before the status changes (outside the graph lock: both
 * run processes): the verify gate, then landing the task's worktree branch. Each returns the
 * log lines the done/approve records with the transition, or refuses with one line that says
 * what to do.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { registryLiveness } from '../agents/liveness.js';
import { describeVerify, runVerify } from '../agents/verify.js';
import { WgError } from '../core/errors.js';
import { requiresValidation } from '../core/gates.js';
import { checkFence, logEntry, type Actor } from '../core/plan.js';
import type { Task } from '../core/task.js';
import { cleanupLanded, finishWorktree, openWorkOf, projectRepo } from '../git/land.js';
import { commitWork } from '../git/worktree.js';
import { verifyTimeoutMs } from '../settings.js';
import { readRegistry } from '../store/registry.js';
import { WorktreeRecords, type WorktreeRecord } from '../store/worktrees.js';
import type { CliContext } from './context.js';

export interface TaskWork {
  root: string;
  records: WorktreeRecords;
  record: WorktreeRecord;
  /** Whether the agent that made it is running (then it is its own `wg done` or it is off limits). */
  agentAlive: boolean;
}

/**
 * The worktree holding the task's unfinished work: the agent's own (when an agent runs the
 * command), else the task's newest branch that has not landed. Undefined outside a git
 * repository or when the task has none.
 */
export async function taskWork(ctx: CliContext, task: Task, who: Actor): Promise<TaskWork | undefined> {
  // No worktree was ever recorded here: no git call at all (agents run `wg done` often).
  if (!existsSync(join(ctx.paths.dir, 'worktrees'))) return undefined;
  const root = await projectRepo(ctx.paths);
  if (!root) return undefined;
  const records = new WorktreeRecords(ctx.paths);
  let record: WorktreeRecord | undefined;
  if (who.agentId) {
    record = records.get(who.agentId);
    if (record && (record.task !== task.id || record.state === 'merged')) record = undefined;
    if (record) return { root, records, record, agentAlive: true };
  }
  record = openWorkOf(records, task.id);
  if (!record) return undefined;
  const settings = await ctx.settings();
  const alive = registryLiveness(readRegistry(ctx.paths), ctx.clock.now().getTime(), settings.dispatcher.heartbeatTimeoutMs).get(record.agent)?.alive ?? false;
  return { root, records, record, agentAlive: alive };
}

/** Where the project directory (the one holding .wg/) is inside a worktree. */
export const cwdIn = (ctx: CliContext, work: TaskWork | undefined): string =>
  work ? join(work.record.path, relative(work.root, dirname(ctx.paths.dir))) : dirname(ctx.paths.dir);

/**
 * The verify gate: runs `task.verify` (in the work's worktree when there is one). Failing, it
 * logs the failure on the task (and counts it) and refuses; passing, it returns the log line.
 */
export async function verifyGate(ctx: CliContext, task: Task, who: Actor, work: TaskWork | undefined, skip: boolean): Promise<string[]> {
  const command = typeof task.verify === 'string' ? task.verify.trim() : '';
  if (!command) return [];
  if (skip) {
    if (who.agentId) throw new WgError('verify_failed', `agents cannot skip the verify gate of '${task.id}'`, { hint: `make it pass: ${command}` });
    ctx.note(`warning: skipping the verify command of '${task.id}': ${command}`);
    return [`Verify skipped by ${who.user ?? who.actor}: ${command}`];
  }
  const settings = await ctx.settings();
  const cwd = cwdIn(ctx, work);
  const r = await runVerify(command, {
    cwd,
    timeoutMs: verifyTimeoutMs(task, settings.dispatcher),
    env: { ...process.env, WG_TASK_ID: task.id, WG_DIR: ctx.paths.dir },
    graceMs: settings.dispatcher.killGraceMs,
  });
  const line = describeVerify(command, r);
  if (r.ok) return [line];
  await ctx.mutate(who, (g) => {
    const t = g.get(task.id);
    if (!t) return { writes: [], ops: [], result: undefined };
    checkFence(t, who);
    const tail = r.tail.slice(-5).map((l) => `  | ${l}`).join('\n');
    const next = { ...t, verify_failures: (Number(t.verify_failures) || 0) + 1, log: [...(t.log ?? []), logEntry(who, tail ? `${line}\n${tail}` : line)] };
    return { writes: [next], ops: [{ op: 'verify_failed', task_id: task.id, detail: { code: r.code, timed_out: r.timedOut } }], result: undefined };
  });
  if (!ctx.json && r.tail.length) process.stderr.write(r.tail.map((l) => `  | ${l}`).join('\n') + '\n');
  throw new WgError('verify_failed', `verify failed for '${task.id}' (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${command}`, {
    hint: `fix what it reports and run 'wg done ${task.id}' again${who.agentId ? '' : ' (a human may pass --skip-verify)'}`,
  });
}

/**
 * Lands the task's worktree branch (or, when the task awaits validation and `verb` is done,
 * commits it and holds it for approval). Refuses when it cannot land, unless `ignoreUnmerged`.
 */
export async function landGate(ctx: CliContext, task: Task, who: Actor, work: TaskWork | undefined, verb: 'done' | 'approve', ignoreUnmerged: boolean): Promise<{ notes: string[]; cleanup: () => Promise<void> }> {
  const none = { notes: [], cleanup: async () => undefined };
  if (!work) return none;
  const { root, records, record } = work;
  const own = who.agentId === record.agent;
  if (!own && work.agentAlive && record.state === 'active') {
    throw new WgError('unmerged', `${record.agent} is still working on '${task.id}' in ${record.path}`, { hint: `let it finish, or stop it first (wg kill ${record.agent})` });
  }
  const mode = verb === 'done' && requiresValidation(task) ? 'hold' : 'land';
  const f = await finishWorktree(root, ctx.paths, records, record, mode, ctx.clock.now());
  for (const n of f.notes) ctx.note(n);
  if (mode === 'land' && !f.landed) {
    if (!ignoreUnmerged) {
      await ctx.mutate(who, (g) => {
        const t = g.get(task.id);
        if (!t) return { writes: [], ops: [], result: undefined };
        checkFence(t, who);
        const next = { ...t, log: [...(t.log ?? []), ...f.notes.map((n) => logEntry(who, n)), logEntry(who, `${verb} refused: the work is not merged`)] };
        return { writes: [next], ops: [{ op: 'unmerged', task_id: task.id, detail: { branch: record.branch } }], result: undefined };
      });
      const conflict = f.outcome?.kind === 'conflict';
      throw new WgError('unmerged', `cannot ${verb === 'done' ? 'mark' : 'approve'} '${task.id}'${verb === 'done' ? ' done' : ''}: ${f.notes.at(-1)}`, {
        hint: conflict
          ? `in ${record.path}: git merge ${f.outcome?.kind === 'conflict' ? f.outcome.base : 'BASE'}, resolve, git commit; then run 'wg ${verb} ${task.id}' again — or pass --ignore-unmerged-worktree to leave the branch for review`
          : `fix that, then run 'wg ${verb} ${task.id}' again — or pass --ignore-unmerged-worktree to leave the branch for review`,
      });
    }
    f.notes.push(`Finished with --ignore-unmerged-worktree: ${record.branch} waits for review (wg worktree list)`);
  }
  const cleanup = async (): Promise<void> => {
    // The agent's own `wg done` runs inside the worktree: the service (or gc) removes it after the agent exits.
    if (own || !f.landed) return;
    try {
      await cleanupLanded(root, records, f.record);
    } catch (e) {
      ctx.note(`warning: could not remove ${record.path}: ${(e as Error).message}`);
    }
  };
  return { notes: f.notes, cleanup };
}

/**
 * An agent gives its task back (`wg incomplete`, `wg wait`): what it left uncommitted in its
 * own worktree is committed on its branch first, so the next attempt — which continues that
 * branch, at once after an incomplete — starts from it rather than from the last commit. Only
 * while the agent still holds the task (a fenced-out agent commits nothing); the transition
 * itself checks the claim again under the lock.
 */
export async function saveAgentWork(ctx: CliContext, taskId: string, who: Actor, why: string): Promise<void> {
  if (!who.agentId || !existsSync(join(ctx.paths.dir, 'worktrees'))) return;
  const rec = new WorktreeRecords(ctx.paths).get(who.agentId);
  if (!rec || rec.task !== taskId || rec.state !== 'active' || rec.removed || !existsSync(rec.path)) return;
  const task = ctx.store().loadFast().get(taskId);
  if (task?.status !== 'in-progress') return; // refused by the transition: nothing to save
  checkFence(task, who);
  const commit = await commitWork(rec.path, `wg: ${taskId} — ${why} (${who.agentId})`);
  if (commit) ctx.note(`Committed your uncommitted work on ${rec.branch} (${commit.slice(0, 10)}): the next attempt continues from it`);
}
