/**
 * What happens to an agent's worktree when its task finishes, in one place for `wg done` (the
 * agent, in its worktree), `wg approve` (a human), and the service (a shell task that exited 0):
 *   1. uncommitted work is committed on the branch (nothing is ever dropped);
 *   2. `hold` (the task awaits a human's approval): the branch waits, unmerged;
 *      `land`: the branch is merged into its base (fast-forward or merge commit) — or, on a
 *      conflict or a refusal, left for review;
 *   3. the record says which, and the notes say it in words for the task log.
 * Removing a landed worktree is separate (`cleanupLanded`): the agent may still be running in it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WgPaths } from '../store/paths.js';
import type { WorktreeRecord, WorktreeRecords } from '../store/worktrees.js';
import { repoRoot } from './git.js';
import { commitWork, deleteBranchIfLanded, landBranch, removeWorktreeDir, type LandOutcome } from './worktree.js';

export interface Finished {
  record: WorktreeRecord;
  /** Committed leftovers, if any. */
  committed?: string;
  outcome?: LandOutcome;
  /** Log lines for the task, in order. */
  notes: string[];
  /** The work is on the base branch (or there was none). */
  landed: boolean;
}

const short = (sha: string): string => sha.slice(0, 10);

export const mergeLockPath = (paths: WgPaths): string => join(paths.dir, 'worktrees', '.merge.lock');

/** The git repository the project (the directory holding `.wg/`) lives in, if any. */
export const projectRepo = (paths: WgPaths): Promise<string | undefined> => repoRoot(dirname(paths.dir));

export async function finishWorktree(root: string, paths: WgPaths, records: WorktreeRecords, rec: WorktreeRecord, mode: 'land' | 'hold', now: Date): Promise<Finished> {
  const notes: string[] = [];
  let committed: string | undefined;
  if (existsSync(rec.path)) {
    committed = await commitWork(rec.path, `wg: ${rec.task} — uncommitted work of ${rec.agent}`);
    if (committed) notes.push(`Committed the uncommitted work of ${rec.agent} on ${rec.branch} (${short(committed)})`);
  }
  if (mode === 'hold') {
    const record = records.update(rec.agent, { state: 'pending-approval', note: 'awaiting approval' }, now)!;
    notes.push(`Work of ${rec.agent} is on branch ${rec.branch}, unmerged until approved (wg approve ${rec.task} merges it)`);
    return { record, ...(committed ? { committed } : {}), notes, landed: false };
  }
  const outcome = await landBranch(root, mergeLockPath(paths), rec, `wg: merge ${rec.branch} (${rec.task}, ${rec.agent})`);
  let record: WorktreeRecord;
  switch (outcome.kind) {
    case 'merged':
      record = records.update(rec.agent, { state: 'merged', merge: outcome.how, merged_commit: outcome.commit, conflict: undefined, note: undefined, needs_review: undefined }, now)!;
      notes.push(`Merged ${rec.branch} into ${outcome.base} (${outcome.how}, ${short(outcome.commit)})`);
      break;
    case 'nothing':
      record = records.update(rec.agent, { state: 'merged', merge: 'nothing', conflict: undefined, note: undefined, needs_review: undefined }, now)!;
      notes.push(`Branch ${rec.branch} had nothing new for ${outcome.base}`);
      break;
    case 'conflict':
      record = records.update(rec.agent, { state: 'unmerged', conflict: outcome.files, note: `conflict with ${outcome.base}`, needs_review: true }, now)!;
      notes.push(`Branch ${rec.branch} NOT merged: conflict with ${outcome.base} in ${outcome.files.join(', ') || '(unknown files)'} — left for review`);
      break;
    case 'blocked':
      record = records.update(rec.agent, { state: 'unmerged', conflict: undefined, note: outcome.reason, needs_review: true }, now)!;
      notes.push(`Branch ${rec.branch} NOT merged: ${outcome.reason} — left for review`);
      break;
  }
  return { record, ...(committed ? { committed } : {}), outcome, notes, landed: outcome.kind === 'merged' || outcome.kind === 'nothing' };
}

/**
 * Removes a landed worktree and its branch (only a branch its base contains), then the record.
 * Returns false (and changes nothing) when the work is not landed.
 */
export async function cleanupLanded(root: string, records: WorktreeRecords, rec: WorktreeRecord): Promise<boolean> {
  if (rec.state !== 'merged') return false;
  await removeWorktreeDir(root, rec);
  if (!(await deleteBranchIfLanded(root, rec))) return false;
  records.remove(rec.agent);
  return true;
}

/** Unfinished work of a task: its newest record whose branch has not landed (a candidate to continue or to land). */
export function openWorkOf(records: WorktreeRecords, task: string): WorktreeRecord | undefined {
  return records
    .ofTask(task)
    .filter((r) => r.state !== 'merged')
    .at(-1);
}
