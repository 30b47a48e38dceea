/**
 * Running git: argv only (never a shell), a clean environment for the variables that would point
 * git at another repository, and errors that name the command and git's own message.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WgError } from '../core/errors.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Variables that would redirect git away from `cwd` (an agent's environment may carry them). */
const REPO_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_NAMESPACE'];

function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
  for (const k of REPO_VARS) delete env[k];
  return env;
}

export function git(cwd: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv(opts.env), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new WgError('io', `cannot run git: ${(err as Error).message}`, { hint: 'install git, or turn worktree_isolation off in .wg/config.toml' }));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** git that must succeed: its stdout, trimmed; a failure is a WgError naming the command. */
export async function gitOk(cwd: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.code}`;
    throw new WgError('io', `git ${args.slice(0, 3).join(' ')} failed in ${cwd}: ${why}`);
  }
  return r.stdout.trim();
}

/** The top of the repository holding `dir`, or undefined when it is not in one (or has no commit). */
export async function repoRoot(dir: string): Promise<string | undefined> {
  // No `.git` here or above: git would find no repository either (its environment is cleaned
  // of GIT_DIR & co. above) — known from a few stats instead of starting git, which the service
  // would otherwise do on every spawn and exit in a project that is not a repository.
  if (!gitEntryAbove(dir)) return undefined;
  try {
    const r = await git(dir, ['rev-parse', '--show-toplevel']);
    if (r.code !== 0) return undefined;
    const head = await git(dir, ['rev-parse', '--verify', '-q', 'HEAD']);
    return head.code === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `-c user.name/-c user.email` for commits wg makes itself, only when the repository has no
 * identity configured (a fresh CI checkout): never overrides the user's own.
 */
export async function identityArgs(cwd: string): Promise<string[]> {
  const email = await git(cwd, ['config', '--get', 'user.email']);
  const name = await git(cwd, ['config', '--get', 'user.name']);
  const out: string[] = [];
  if (email.code !== 0 || !email.stdout.trim()) out.push('-c', 'user.email=workgraph@localhost');
  if (name.code !== 0 || !name.stdout.trim()) out.push('-c', 'user.name=workgraph');
  return out;
}

/** Is there a `.git` (directory, or a worktree's/submodule's file) in `dir` or one of its parents? */
export function gitEntryAbove(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}
