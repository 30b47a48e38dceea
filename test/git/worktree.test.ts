/**
 * The worktree module against real git repositories (issue 11): a worktree per agent on its own
 * branch, the archive commit that keeps uncommitted work, landing by fast-forward and by merge
 * commit (computed without touching a checkout), conflicts and refusals that change nothing,
 * cleanup that never deletes an unmerged branch, and retry-in-place from an earlier branch.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupLanded, mergeLockPath, openWorkOf } from '../../src/git/land.js';
import { branchName, commitWork, deleteBranchIfLanded, dirtyFiles, landBranch, removeWorktreeDir, worktreeFacts } from '../../src/git/worktree.js';
import { git as sh, gitRepo } from '../helpers/git.js';

const NOW = new Date('2026-03-20T12:00:00Z');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A repository with one commit on `main` and a .wg/ directory (git-ignored, as a project would). */
function repo() {
  const r = gitRepo({ 'shared.txt': 'line 1\nline 2\nline 3\n' }, () => NOW);
  cleanups.push(r.cleanup);
  return { ...r, lock: mergeLockPath(r.paths), read: (f: string) => readFileSync(join(r.root, f), 'utf8') };
}

describe('worktrees on real git repositories', () => {
  it('creates .wg-worktrees/<agent> on wg/<agent>/<task>, recorded, excluded from the checkout', async () => {
    const r = repo();
    const rec = await r.create('agent-1', 'build');
    expect(rec).toMatchObject({ agent: 'agent-1', task: 'build', branch: 'wg/agent-1/build', base: 'main', state: 'active', path: join(r.root, '.wg-worktrees', 'agent-1') });
    expect(readFileSync(join(rec.path, 'shared.txt'), 'utf8')).toContain('line 1');
    expect(sh(rec.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('wg/agent-1/build');
    expect(sh(r.root, 'status', '--porcelain')).toBe(''); // .wg-worktrees/ is in .git/info/exclude
    expect(r.records.get('agent-1')).toEqual(rec);
    expect(branchName('agent-2', '.evaluate-x')).toBe('wg/agent-2/_evaluate-x');
    await expect(r.create('agent-1', 'build')).rejects.toThrow(/already exists/);
  });

  it('lands by fast-forward when main has not moved; the archive commit keeps uncommitted work', async () => {
    const r = repo();
    const rec = await r.create('agent-1', 'a');
    writeFileSync(join(rec.path, 'new.txt'), 'made by the agent\n');
    const f = await r.finish(rec);
    expect(f.committed).toMatch(/^[0-9a-f]{40}$/);
    expect(f.outcome).toMatchObject({ kind: 'merged', how: 'fast-forward', base: 'main' });
    expect(f.landed).toBe(true);
    expect(r.read('new.txt')).toBe('made by the agent\n'); // the checkout moved with main
    expect(sh(r.root, 'log', '--format=%s', '-1')).toBe('wg: a — uncommitted work of agent-1');
    expect(f.notes.map((n) => n.replace(/[0-9a-f]{10}/g, 'SHA'))).toEqual(['Committed the uncommitted work of agent-1 on wg/agent-1/a (SHA)', 'Merged wg/agent-1/a into main (fast-forward, SHA)']);
    expect(await cleanupLanded(r.root, r.records, f.record)).toBe(true);
    expect(existsSync(rec.path)).toBe(false);
    expect(sh(r.root, 'branch', '--list', 'wg/*')).toBe('');
    expect(r.records.get('agent-1')).toBeUndefined();
  });

  it('two agents edit different parts of the same file: both land (the second by a merge commit)', async () => {
    const r = repo();
    const one = await r.create('agent-1', 'top');
    const two = await r.create('agent-2', 'bottom');
    writeFileSync(join(one.path, 'shared.txt'), 'line 1 (top)\nline 2\nline 3\n');
    writeFileSync(join(two.path, 'shared.txt'), 'line 1\nline 2\nline 3 (bottom)\n');
    const f1 = await r.finish(one);
    const f2 = await r.finish(two);
    expect(f1.outcome).toMatchObject({ kind: 'merged', how: 'fast-forward' });
    expect(f2.outcome).toMatchObject({ kind: 'merged', how: 'merge-commit' });
    expect(r.read('shared.txt')).toBe('line 1 (top)\nline 2\nline 3 (bottom)\n');
    expect(sh(r.root, 'log', '--format=%P', '-1').split(' ')).toHaveLength(2);
    expect(sh(r.root, 'status', '--porcelain')).toBe('');
  });

  it('a conflict changes nothing: main and the checkout stay, the branch waits for review, cleanup refuses', async () => {
    const r = repo();
    const one = await r.create('agent-1', 'x');
    const two = await r.create('agent-2', 'y');
    writeFileSync(join(one.path, 'shared.txt'), 'ONE\n');
    writeFileSync(join(two.path, 'shared.txt'), 'TWO\n');
    await r.finish(one);
    const mainBefore = sh(r.root, 'rev-parse', 'main');
    const f = await r.finish(two);
    expect(f.outcome).toEqual({ kind: 'conflict', files: ['shared.txt'], base: 'main' });
    expect(f.landed).toBe(false);
    expect(f.notes.at(-1)).toBe('Branch wg/agent-2/y NOT merged: conflict with main in shared.txt — left for review');
    expect(sh(r.root, 'rev-parse', 'main')).toBe(mainBefore);
    expect(r.read('shared.txt')).toBe('ONE\n');
    expect(sh(r.root, 'status', '--porcelain')).toBe('');
    expect(r.records.get('agent-2')).toMatchObject({ state: 'unmerged', conflict: ['shared.txt'], needs_review: true });
    expect(await cleanupLanded(r.root, r.records, r.records.get('agent-2')!)).toBe(false);
    expect(await deleteBranchIfLanded(r.root, r.records.get('agent-2')!)).toBe(false);
    expect(sh(r.root, 'branch', '--list', 'wg/agent-2/y')).toContain('wg/agent-2/y');
    // Resolved on the branch (main merged in), it lands.
    sh(two.path, 'merge', '-q', 'main', '-X', 'theirs', '-m', 'resolve');
    const again = await r.finish(r.records.get('agent-2')!);
    expect(again.outcome).toMatchObject({ kind: 'merged', how: 'fast-forward' });
  });

  it('never overwrites the user’s uncommitted changes in the checkout: the landing is refused instead', async () => {
    const r = repo();
    const rec = await r.create('agent-1', 'x');
    writeFileSync(join(rec.path, 'shared.txt'), 'agent\n');
    writeFileSync(join(r.root, 'shared.txt'), 'my local edit\n');
    const f = await r.finish(rec);
    expect(f.outcome?.kind).toBe('blocked');
    expect(f.notes.at(-1)).toMatch(/uncommitted changes in .* touch shared.txt/);
    expect(r.read('shared.txt')).toBe('my local edit\n');
    expect(sh(r.root, 'rev-parse', 'main')).toBe(rec.base_commit);
  });

  it('lands on a base branch that is not checked out with a compare-and-swap update', async () => {
    const r = repo();
    const rec = await r.create('agent-1', 'x');
    sh(r.root, 'checkout', '-q', '-b', 'other');
    writeFileSync(join(rec.path, 'f.txt'), 'x\n');
    const f = await r.finish(rec);
    expect(f.outcome).toMatchObject({ kind: 'merged', how: 'fast-forward', base: 'main' });
    expect(sh(r.root, 'show', 'main:f.txt')).toBe('x');
    expect(existsSync(join(r.root, 'f.txt'))).toBe(false); // the checkout (on `other`) was not touched
  });

  it('hold (awaiting approval) commits but does not merge; nothing new → "nothing"', async () => {
    const r = repo();
    const rec = await r.create('agent-1', 'x');
    writeFileSync(join(rec.path, 'f.txt'), 'x\n');
    const held = await r.finish(rec, 'hold');
    expect(held.record.state).toBe('pending-approval');
    expect(await dirtyFiles(rec.path)).toEqual([]);
    expect(existsSync(join(r.root, 'f.txt'))).toBe(false);
    expect(openWorkOf(r.records, 'x')?.agent).toBe('agent-1');
    const empty = await r.create('agent-2', 'y');
    expect((await landBranch(r.root, r.lock, empty, 'm')).kind).toBe('nothing');
  });

  it('retry in place: the next attempt starts from the earlier branch; removing a worktree keeps its work on the branch', async () => {
    const r = repo();
    const first = await r.create('agent-1', 't');
    writeFileSync(join(first.path, 'progress.txt'), 'step 1 done\n');
    await commitWork(first.path, 'wg archive');
    await removeWorktreeDir(r.root, first);
    expect(existsSync(first.path)).toBe(false);
    const facts = await worktreeFacts(r.root, first);
    expect(facts).toMatchObject({ exists: false, branchExists: true, ahead: 1, landed: false });
    const second = await r.create('agent-2', 't', { continueFrom: first });
    expect(second.continues).toBe('wg/agent-1/t');
    expect(readFileSync(join(second.path, 'progress.txt'), 'utf8')).toBe('step 1 done\n');
    // A worktree with uncommitted work is never removed.
    writeFileSync(join(second.path, 'wip.txt'), 'x');
    await expect(removeWorktreeDir(r.root, second)).rejects.toThrow(/uncommitted changes/);
  });
});
