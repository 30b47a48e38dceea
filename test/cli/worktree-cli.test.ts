/**
 * Worktrees through the built `wg` (issue 11): an agent's `wg done` in its worktree lands its
 * branch (or refuses on a conflict, saying how to resolve; --ignore-unmerged-worktree leaves
 * it for review, in the log, `wg show` and `wg status`); a validated task's branch waits for
 * `wg approve`; `wg worktree list|archive|gc`. Worktrees are made with the module the service
 * uses (src/git/worktree.ts) in a real repository.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentsAtWork, git, gitProject } from '../helpers/git.js';
import type { Project } from '../helpers/project.js';

let p: Project | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

const FILES = { 'shared.txt': 'a\nb\nc\n' };

describe('worktrees and wg done / approve', () => {
  it("an agent's wg done lands its branch (fast-forward, then a merge commit for the second agent)", async () => {
    p = gitProject(FILES);
    const [one, two] = await agentsAtWork(p, [
      { agent: 'agent-1', task: 'top' },
      { agent: 'agent-2', task: 'bottom' },
    ]);
    writeFileSync(join(one.rec.path, 'shared.txt'), 'A\nb\nc\n');
    writeFileSync(join(two.rec.path, 'shared.txt'), 'a\nb\nC\n');
    p.ok(['done', 'top'], one.env);
    p.ok(['done', 'bottom'], two.env);
    expect(readFileSync(join(p.dir, 'shared.txt'), 'utf8')).toBe('A\nb\nC\n');
    const logTop = p.task('top').log!.map((e) => e.message);
    expect(logTop).toEqual(expect.arrayContaining([expect.stringMatching(/^Merged wg\/agent-1\/top into main \(fast-forward, [0-9a-f]{10}\)$/)]));
    expect(p.task('bottom').log!.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Merged wg\/agent-2\/bottom into main \(merge-commit/)]));
    // The agents still run in their worktrees: removal is left to the service / gc.
    expect(existsSync(one.rec.path)).toBe(true);
    expect(p.ok(['show', 'top']).stdout).toMatch(/Worktree +wg\/agent-1\/top \(agent-1\): merged \(fast-forward\)/);
    const gc = p.ok(['worktree', 'gc', '--execute']).stdout;
    expect(gc).toContain('agent-1: remove worktree and branch (landed)');
    expect(existsSync(one.rec.path)).toBe(false);
    expect(git(p.dir, 'branch', '--list', 'wg/*')).toBe('');
  });

  it('a conflict refuses the done with the way out; --ignore-unmerged-worktree finishes and leaves the branch for review', async () => {
    p = gitProject(FILES);
    const [one, two] = await agentsAtWork(p, [
      { agent: 'agent-1', task: 'x' },
      { agent: 'agent-2', task: 'y' },
    ]);
    writeFileSync(join(one.rec.path, 'shared.txt'), 'ONE\n');
    writeFileSync(join(two.rec.path, 'shared.txt'), 'TWO\n');
    p.ok(['done', 'x'], one.env);
    const r = p.run(['done', 'y'], two.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: cannot mark 'y' done: Branch wg/agent-2/y NOT merged: conflict with main in shared.txt — left for review");
    expect(r.stderr).toContain(`hint: in ${two.rec.path}: git merge main, resolve, git commit; then run 'wg done y' again`);
    expect(p.task('y').status).toBe('in-progress');
    expect(p.task('y').log!.at(-1)!.message).toBe('done refused: the work is not merged');
    p.ok(['done', 'y', '--ignore-unmerged-worktree'], two.env);
    expect(p.task('y').status).toBe('done');
    expect(p.ok(['show', 'y']).stdout).toMatch(/Worktree +wg\/agent-2\/y \(agent-2\): unmerged — conflict in shared\.txt — left for review/);
    expect(p.ok(['status']).stdout).toMatch(/y: agent-2's branch wg\/agent-2\/y is not merged: conflict in shared\.txt/);
    expect(readFileSync(join(p.dir, 'shared.txt'), 'utf8')).toBe('ONE\n');
    // gc archives and removes the worktree but keeps the unmerged branch.
    p.writeRegistry([
      { id: 'agent-1', task_id: 'x', status: 'done' },
      { id: 'agent-2', task_id: 'y', status: 'done' },
    ]);
    const dry = p.ok(['worktree', 'gc']).stdout;
    expect(dry).toMatch(/Dry run[\s\S]*agent-2: archive and remove the worktree; keep wg\/agent-2\/y \(1 unmerged commit\(s\)\)/);
    expect(existsSync(two.rec.path)).toBe(true);
    p.ok(['worktree', 'gc', '--execute']);
    expect(existsSync(two.rec.path)).toBe(false);
    expect(git(p.dir, 'branch', '--list', 'wg/agent-2/y')).toContain('wg/agent-2/y');
  });

  it('a validated task: done commits and holds the branch; approve lands it and cleans up', async () => {
    p = gitProject(FILES);
    const [w] = await agentsAtWork(p, [{ agent: 'agent-1', task: 'v', seed: { validation: 'external' } }]);
    writeFileSync(join(w.rec.path, 'feature.txt'), 'feature\n');
    p.ok(['done', 'v'], w.env);
    expect(p.task('v').status).toBe('pending-validation');
    expect(existsSync(join(p.dir, 'feature.txt'))).toBe(false);
    expect(p.task('v').log!.map((e) => e.message)).toContain('Work of agent-1 is on branch wg/agent-1/v, unmerged until approved (wg approve v merges it)');
    p.writeRegistry([{ id: 'agent-1', task_id: 'v', status: 'done' }]);
    p.ok(['approve', 'v']);
    expect(p.task('v').status).toBe('done');
    expect(readFileSync(join(p.dir, 'feature.txt'), 'utf8')).toBe('feature\n');
    expect(existsSync(w.rec.path)).toBe(false);
    expect(git(p.dir, 'branch', '--list', 'wg/*')).toBe('');
  });

  it('wg worktree list and archive; archive refuses a running agent', async () => {
    p = gitProject(FILES);
    const [w] = await agentsAtWork(p, [{ agent: 'agent-1', task: 't' }]);
    writeFileSync(join(w.rec.path, 'wip.txt'), 'half\n');
    const list = p.ok(['worktree', 'list', '--json']).json<Array<{ agent: string; branch: string; dirty: number; state: string }>>();
    expect(list).toEqual([expect.objectContaining({ agent: 'agent-1', branch: 'wg/agent-1/t', dirty: 1, state: 'active' })]);
    const live = p.liveProcess();
    p.writeRegistry([{ id: 'agent-1', task_id: 't', status: 'working', pid: live.pid, pgid: live.pgid, proc_start: live.procStart }]);
    const refused = p.run(['worktree', 'archive', 'agent-1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('agent-1 is still running');
    p.writeRegistry([{ id: 'agent-1', task_id: 't', status: 'dead' }]);
    expect(p.ok(['worktree', 'archive', 'agent-1', '--remove']).stdout).toMatch(/Archived the uncommitted work of agent-1 on wg\/agent-1\/t \([0-9a-f]{10}\)\nRemoved /);
    expect(git(p.dir, 'show', 'wg/agent-1/t:wip.txt')).toBe('half');
    expect(p.run(['worktree', 'archive', 'agent-9']).code).toBe(1);
  });
});
