/**
 * One git worktree per agent (SPEC §10): `.wg-worktrees/<agent-id>` on its own branch
 * `wg/<agent-id>/<task-id>`, created before the agent starts, merged back when its work is done,
 * removed once merged. The rules that keep work safe:
 *   - wg commits an agent's uncommitted work itself before anything leaves (an "archive
 *     commit"), so removing a worktree never discards work: it stays on the branch;
 *   - a branch is deleted only once it is contained in the branch it lands on;
 *   - landing never leaves the project's checkout half-merged: the merge is computed in git's
 *     object store (`merge-tree --write-tree`, no working tree touched), then the base branch is
 *     fast-forwarded to it — in the project's checkout with `merge --ff-only`, which refuses
 *     rather than overwrite the user's uncommitted changes. A conflict or a refusal leaves the
 *     branch as it is, for review.
 * Landings are serialized by a lock in `.wg/worktrees/` (two agents finishing at once merge one
 * after the other; the second merges onto the first).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { WgError } from '../core/errors.js';
import { formatTimestamp } from '../core/time.js';
import { acquireLock } from '../store/lock.js';
import type { WorktreeRecord, WorktreeRecords } from '../store/worktrees.js';
import { git, gitOk, identityArgs } from './git.js';

export const WORKTREES_DIR = '.wg-worktrees';

/** `wg/<agent>/<task>`, the task id made a valid ref component (`.evaluate-x` → `_evaluate-x`). */
export function branchName(agent: string, task: string): string {
  const safe = task.replace(/^\./, '_').replace(/\.\.+/g, '_').replace(/\.lock$/, '_lock').replace(/[^A-Za-z0-9._-]/g, '_');
  return `wg/${agent}/${safe || 'task'}`;
}

export const worktreePath = (root: string, agent: string): string => join(root, WORKTREES_DIR, agent);

/** `.wg-worktrees/` in the repository's local exclude file, so the checkout never shows it as untracked. */
async function excludeWorktreesDir(root: string): Promise<void> {
  const common = await gitOk(root, ['rev-parse', '--git-common-dir']);
  const info = join(isAbsolute(common) ? common : resolve(root, common), 'info');
  const exclude = join(info, 'exclude');
  const line = `/${WORKTREES_DIR}/`;
  const text = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
  if (text.split('\n').includes(line)) return;
  mkdirSync(info, { recursive: true });
  appendFileSync(exclude, `${text && !text.endsWith('\n') ? '\n' : ''}# workgraph agent worktrees\n${line}\n`);
}

const branchTip = async (root: string, branch: string): Promise<string | undefined> => {
  const r = await git(root, ['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
};

const isAncestor = async (root: string, a: string, b: string): Promise<boolean> => (await git(root, ['merge-base', '--is-ancestor', a, b])).code === 0;

export interface CreateOptions {
  root: string;
  records: WorktreeRecords;
  agent: string;
  task: string;
  now: Date;
  /** An earlier attempt whose unmerged branch this worktree continues (retry in place). */
  continueFrom?: WorktreeRecord;
}

/** Creates `.wg-worktrees/<agent>` on `wg/<agent>/<task>` and records it (state `active`). */
export async function createAgentWorktree(o: CreateOptions): Promise<WorktreeRecord> {
  const path = worktreePath(o.root, o.agent);
  if (existsSync(path)) throw new WgError('already_exists', `worktree ${path} already exists`, { hint: `archive it first: wg worktree archive ${o.agent} --remove` });
  await excludeWorktreesDir(o.root);
  const head = await git(o.root, ['symbolic-ref', '--short', '-q', 'HEAD']);
  const base = head.code === 0 ? head.stdout.trim() : undefined;
  const baseCommit = await gitOk(o.root, ['rev-parse', 'HEAD']);
  const branch = branchName(o.agent, o.task);
  const from = o.continueFrom ? await branchTip(o.root, o.continueFrom.branch) : undefined;
  mkdirSync(join(o.root, WORKTREES_DIR), { recursive: true });
  await gitOk(o.root, ['worktree', 'add', '-b', branch, path, from ?? baseCommit]);
  const at = formatTimestamp(o.now);
  const rec: WorktreeRecord = {
    agent: o.agent,
    task: o.task,
    path,
    branch,
    ...(base ? { base } : {}),
    base_commit: baseCommit,
    ...(from ? { continues: o.continueFrom!.branch } : {}),
    created_at: at,
    updated_at: at,
    state: 'active',
  };
  o.records.put(rec);
  return rec;
}

/** Files with uncommitted changes in a worktree (tracked or untracked, ignored files excluded). */
export async function dirtyFiles(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  const out = await gitOk(path, ['status', '--porcelain', '--untracked-files=all']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/**
 * Commits everything uncommitted in the worktree (what `git add -A` takes: .gitignore is
 * respected) and returns the new commit, or undefined when there was nothing to commit.
 * Hooks are skipped: this commit preserves work, it does not publish it.
 */
export async function commitWork(path: string, message: string): Promise<string | undefined> {
  if (!(await dirtyFiles(path)).length) return undefined;
  await gitOk(path, ['add', '-A']);
  await gitOk(path, [...(await identityArgs(path)), 'commit', '-q', '--no-verify', '-m', message]);
  return gitOk(path, ['rev-parse', 'HEAD']);
}

export type LandOutcome =
  | { kind: 'merged'; how: 'fast-forward' | 'merge-commit'; commit: string; base: string }
  /** The branch holds nothing the base does not already have. */
  | { kind: 'nothing'; base: string }
  | { kind: 'conflict'; files: string[]; base: string }
  /** The base branch cannot be moved (missing, detached, the user's changes in the way). */
  | { kind: 'blocked'; reason: string };

interface CheckedOut {
  path: string;
  branch: string | undefined;
}

async function checkouts(root: string): Promise<CheckedOut[]> {
  const out: CheckedOut[] = [];
  let cur: CheckedOut | undefined;
  for (const line of (await gitOk(root, ['worktree', 'list', '--porcelain'])).split('\n')) {
    if (line.startsWith('worktree ')) out.push((cur = { path: line.slice(9), branch: undefined }));
    else if (line.startsWith('branch ') && cur) cur.branch = line.slice(7);
  }
  return out;
}

/**
 * Lands `rec.branch` on `rec.base`: fast-forward when the base has not moved, else a merge
 * commit computed without touching any working tree; then the base branch is moved to it (in
 * the checkout that has it, by `merge --ff-only`; elsewhere by a compare-and-swap update-ref).
 * Serialized by `lockPath`. Nothing is changed on a conflict or a refusal.
 */
export async function landBranch(root: string, lockPath: string, rec: WorktreeRecord, message: string): Promise<LandOutcome> {
  if (!rec.base) return { kind: 'blocked', reason: `the project was on a detached HEAD when ${rec.agent}'s worktree was made: merge ${rec.branch} by hand` };
  const base = rec.base;
  mkdirSync(join(lockPath, '..'), { recursive: true });
  const lock = await acquireLock(lockPath, 120_000);
  try {
    const baseTip = await branchTip(root, base);
    if (!baseTip) return { kind: 'blocked', reason: `branch '${base}' no longer exists: merge ${rec.branch} by hand` };
    const tip = await branchTip(root, rec.branch);
    if (!tip) return { kind: 'blocked', reason: `branch '${rec.branch}' no longer exists` };
    if (await isAncestor(root, tip, baseTip)) return { kind: 'nothing', base };
    let target: string;
    let how: 'fast-forward' | 'merge-commit';
    if (await isAncestor(root, baseTip, tip)) {
      target = tip;
      how = 'fast-forward';
    } else {
      const mt = await git(root, ['merge-tree', '--write-tree', '--name-only', '--no-messages', baseTip, tip]);
      const lines = mt.stdout.split('\n').filter(Boolean);
      if (mt.code === 1) return { kind: 'conflict', files: lines.slice(1), base };
      if (mt.code !== 0 || !lines[0]) return { kind: 'blocked', reason: `git merge-tree failed: ${(mt.stderr.trim() || `exit ${mt.code}`).split('\n').pop()}` };
      target = await gitOk(root, [...(await identityArgs(root)), 'commit-tree', lines[0], '-p', baseTip, '-p', tip, '-m', message]);
      how = 'merge-commit';
    }
    const holder = (await checkouts(root)).find((c) => c.branch === `refs/heads/${base}`);
    if (holder) {
      const ff = await git(holder.path, ['merge', '--ff-only', '-q', target]);
      if (ff.code !== 0) {
        const why = ff.stderr.trim().split('\n').filter(Boolean);
        const files = why.filter((l) => /^\t/.test(l)).map((l) => l.trim());
        return {
          kind: 'blocked',
          reason: files.length
            ? `uncommitted changes in ${holder.path} touch ${files.join(', ')}: commit or stash them, then land ${rec.branch} again`
            : `cannot fast-forward '${base}' in ${holder.path}: ${why[0] ?? `exit ${ff.code}`}`,
        };
      }
    } else {
      const up = await git(root, ['update-ref', `refs/heads/${base}`, target, baseTip]);
      if (up.code !== 0) return { kind: 'blocked', reason: `'${base}' moved while merging: ${up.stderr.trim()}` };
    }
    return { kind: 'merged', how, commit: target, base };
  } finally {
    lock.release();
  }
}

/** Removes the worktree directory (its work must already be committed) and git's record of it. */
export async function removeWorktreeDir(root: string, rec: WorktreeRecord): Promise<void> {
  if (existsSync(rec.path)) {
    const rel = relative(root, rec.path);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new WgError('invalid_argument', `refusing to remove ${rec.path}: it is outside the project`, { exitCode: 2 });
    const left = await dirtyFiles(rec.path);
    if (left.length) throw new WgError('io', `worktree ${rec.path} has uncommitted changes (${left.slice(0, 3).join(', ')}): commit them before removing it`);
    // --force: ignored files (build output) may remain; tracked and untracked work is committed.
    await gitOk(root, ['worktree', 'remove', '--force', rec.path]);
  } else {
    await git(root, ['worktree', 'prune']);
  }
}

/** Deletes the branch if (and only if) the base branch contains it. Returns whether it did. */
export async function deleteBranchIfLanded(root: string, rec: WorktreeRecord): Promise<boolean> {
  const tip = await branchTip(root, rec.branch);
  if (!tip) return true;
  if (!rec.base) return false;
  const baseTip = await branchTip(root, rec.base);
  if (!baseTip || !(await isAncestor(root, tip, baseTip))) return false;
  const holder = (await checkouts(root)).find((c) => c.branch === `refs/heads/${rec.branch}`);
  if (holder) return false; // still checked out (the worktree was not removed)
  await gitOk(root, ['branch', '-D', rec.branch]);
  return true;
}

export interface WorktreeFacts {
  exists: boolean;
  branchExists: boolean;
  /** Uncommitted files in the worktree. */
  dirty: number;
  /** Commits on the branch that the base branch does not have. */
  ahead: number;
  /** The base branch contains the branch. */
  landed: boolean;
}

export async function worktreeFacts(root: string, rec: WorktreeRecord): Promise<WorktreeFacts> {
  const exists = existsSync(rec.path);
  const tip = await branchTip(root, rec.branch);
  const baseTip = rec.base ? await branchTip(root, rec.base) : undefined;
  const dirty = exists ? (await dirtyFiles(rec.path)).length : 0;
  let ahead = 0;
  let landed = false;
  if (tip) {
    const against = baseTip ?? rec.base_commit;
    ahead = Number(await gitOk(root, ['rev-list', '--count', `${against}..${tip}`])) || 0;
    landed = !!baseTip && (await isAncestor(root, tip, baseTip));
  }
  return { exists, branchExists: !!tip, dirty, ahead, landed };
}

/** Worktrees under `.wg-worktrees/` that git knows and no record describes (made by another tool). */
export async function unrecordedWorktrees(root: string, known: ReadonlySet<string>): Promise<CheckedOut[]> {
  const dir = join(root, WORKTREES_DIR);
  return (await checkouts(root)).filter((c) => c.path.startsWith(dir + '/') && !known.has(resolve(c.path)));
}
