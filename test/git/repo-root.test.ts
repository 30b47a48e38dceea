/**
 * repoRoot (src/git/git.ts): the top of the repository holding a directory. The service asks it
 * on every spawn and exit (the agent's worktree), so a directory with no `.git` anywhere above it
 * is answered without starting git — here a recording `git` first on PATH shows whether git ran.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitEntryAbove, repoRoot } from '../../src/git/git.js';

const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const sh = (cwd: string, ...args: string[]): string => execFileSync(realGit, args, { cwd, encoding: 'utf8', env: GIT_ENV }).trim();

describe('repoRoot', () => {
  let dir: string;
  let calls: string;
  let savedPath: string | undefined;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'wg-repo-root-')));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    calls = join(dir, 'git-calls');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });
  const gitRan = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

  it('a directory with no .git above it: not a repository, and git is not started', async () => {
    const plain = join(dir, 'plain', 'sub');
    mkdirSync(plain, { recursive: true });
    // The precondition: git itself finds no repository here (no .git above the temp dir).
    expect(() => execFileSync(realGit, ['rev-parse', '--show-toplevel'], { cwd: plain, stdio: 'ignore' })).toThrow();
    expect(gitEntryAbove(plain)).toBe(false);
    expect(await repoRoot(plain)).toBeUndefined();
    expect(gitRan()).toEqual([]);
  });

  it('inside a repository (at its top or below): its top, asked of git', async () => {
    const root = join(dir, 'repo');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    sh(root, 'init', '-q', '-b', 'main');
    writeFileSync(join(root, 'f.txt'), 'x\n');
    sh(root, 'add', '.');
    sh(root, 'commit', '-qm', 'init');
    expect(await repoRoot(root)).toBe(root);
    expect(await repoRoot(join(root, 'a', 'b'))).toBe(root);
    expect(gitRan()).toContain('rev-parse --show-toplevel');
  });

  it('a repository without a commit is none (git asked); a worktree (.git is a file) is its own top', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    sh(empty, 'init', '-q');
    expect(await repoRoot(empty)).toBeUndefined();
    expect(gitRan()).toContain('rev-parse --show-toplevel');

    const root = join(dir, 'main');
    mkdirSync(root);
    sh(root, 'init', '-q', '-b', 'main');
    writeFileSync(join(root, 'f.txt'), 'x\n');
    sh(root, 'add', '.');
    sh(root, 'commit', '-qm', 'init');
    const wt = join(dir, 'wt');
    sh(root, 'worktree', 'add', '-q', '-b', 'side', wt);
    expect(gitEntryAbove(wt)).toBe(true);
    expect(await repoRoot(wt)).toBe(wt);
  });
});
