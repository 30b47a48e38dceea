/**
 * Real git repositories for the worktree tests: `git` with a test identity, a project directory
 * made a repository (one commit on `main`), and an agent's worktree made with the module the
 * service uses (src/git/worktree.ts), with the fencing variables its agent would have.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finishWorktree } from '../../src/git/land.js';
import { createAgentWorktree, type CreateOptions } from '../../src/git/worktree.js';
import { pathsFor, type WgPaths } from '../../src/store/paths.js';
import { WorktreeRecords, type WorktreeRecord } from '../../src/store/worktrees.js';
import { bareTempDir, project, type Project } from './project.js';
import type { TaskSeed } from './files.js';

/** `git args…` in `cwd` as the test user; its stdout, trimmed. Throws on a non-zero exit. */
export const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * Makes `dir` a repository with one commit on `main`: `files`, and a .gitignore that keeps out
 * .wg/ and the project builder's scratch and fake-bin directories, as a user's project would.
 */
export function gitInit(dir: string, files: Record<string, string> = {}): void {
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, '.gitignore'), '.wg/\nwork/\nfakebin/\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'init');
}

/** A project (`wg init` done) that is also a git repository: `gitInit(files)`. */
export function gitProject(files: Record<string, string>): Project {
  const q = project();
  try {
    gitInit(q.dir, files);
  } catch (e) {
    q.cleanup();
    throw e;
  }
  return q;
}

/** What the module under test works on: a repository's root, its .wg paths and worktree records. */
export interface Worktrees {
  root: string;
  paths: WgPaths;
  records: WorktreeRecords;
  /** An agent's worktree on wg/<agent>/<task>, made as the service makes it. */
  create(agent: string, task: string, opts?: Pick<CreateOptions, 'continueFrom'>): Promise<WorktreeRecord>;
  /** finishWorktree: commit what is left, then land (or hold for approval). */
  finish(rec: WorktreeRecord, mode?: 'land' | 'hold'): ReturnType<typeof finishWorktree>;
}

/** The worktrees of the repository at `root` whose .wg/ is `wgDir`; `now` stamps the records. */
export function worktrees(root: string, wgDir: string, now: () => Date = () => new Date()): Worktrees {
  const paths = pathsFor(wgDir);
  const records = new WorktreeRecords(paths);
  return {
    root,
    paths,
    records,
    create: (agent, task, opts = {}) => createAgentWorktree({ root, records, agent, task, now: now(), ...opts }),
    finish: (rec, mode = 'land') => finishWorktree(root, paths, records, rec, mode, now()),
  };
}

/**
 * A bare repository (no `wg init`: the modules alone) with `files` committed and an empty .wg/.
 * Call `cleanup()` in afterEach.
 */
export function gitRepo(files: Record<string, string>, now: () => Date): Worktrees & { cleanup: () => void } {
  const tmp = bareTempDir();
  try {
    gitInit(tmp.dir, files);
    mkdirSync(join(tmp.dir, '.wg'));
  } catch (e) {
    tmp.cleanup();
    throw e;
  }
  return { ...worktrees(tmp.dir, join(tmp.dir, '.wg'), now), cleanup: tmp.cleanup };
}

/** An agent at work in its own worktree: the record and the environment its `wg` calls carry. */
export interface AgentAtWork {
  rec: WorktreeRecord;
  env: Record<string, string>;
}

/**
 * Tasks in progress, each claimed (epoch 1) by its agent, who works in its own worktree: seeds
 * the graph with them (title = id; `seed` adds fields), then makes the worktrees.
 */
export async function agentsAtWork<const W extends ReadonlyArray<{ agent: string; task: string; seed?: Partial<TaskSeed> }>>(q: Project, work: W): Promise<{ [K in keyof W]: AgentAtWork }> {
  q.seed(work.map(({ agent, task, seed }) => ({ id: task, title: task, status: 'in-progress', assigned: agent, claim_epoch: 1, ...seed })));
  const wt = worktrees(q.dir, q.wgDir);
  const out: AgentAtWork[] = [];
  for (const { agent, task } of work) {
    out.push({ rec: await wt.create(agent, task), env: { WG_AGENT_ID: agent, WG_TASK_ID: task, WG_CLAIM_EPOCH: '1', WG_DIR: q.wgDir } });
  }
  return out as { [K in keyof W]: AgentAtWork };
}
