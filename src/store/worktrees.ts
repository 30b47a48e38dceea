/**
 * What wg knows about each agent's git worktree (`.wg/worktrees/<agent-id>.json`, one record
 * each, replaced atomically): where it is, its branch, the branch its work lands on, and what
 * became of that work. Git itself holds the work; this records the intent and the outcome so a
 * later step (approve, the next attempt, gc, `wg show`) knows what to do with the branch.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WgError } from '../core/errors.js';
import { writeFileDurable } from './atomic-write.js';
import type { WgPaths } from './paths.js';

export const WORKTREE_STATES = ['active', 'pending-approval', 'merged', 'unmerged', 'archived'] as const;
export type WorktreeState = (typeof WORKTREE_STATES)[number];

export interface WorktreeRecord {
  agent: string;
  task: string;
  /** Absolute path of the worktree directory. */
  path: string;
  branch: string;
  /** The branch the work lands on (absent: the project's HEAD was detached at creation). */
  base?: string;
  /** The commit the worktree started from. */
  base_commit: string;
  /** An earlier attempt's branch this one continues. */
  continues?: string;
  created_at: string;
  updated_at: string;
  state: WorktreeState;
  /** Merged: the commit the base branch moved to, and how. */
  merged_commit?: string;
  merge?: 'fast-forward' | 'merge-commit' | 'nothing';
  /** Unmerged: the files in conflict (if that is why), and the reason in words. */
  conflict?: string[];
  note?: string;
  /** The work could not land (conflict, refusal): a human must look at the branch. */
  needs_review?: boolean;
  /** The worktree directory was removed (its work is on the branch). */
  removed?: boolean;
}

const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class WorktreeRecords {
  readonly dir: string;

  constructor(paths: WgPaths) {
    this.dir = join(paths.dir, 'worktrees');
  }

  private file(agent: string): string {
    if (!AGENT_ID.test(agent)) throw new WgError('invalid_argument', `invalid agent id '${agent}'`, { exitCode: 2, hint: 'agent ids look like agent-7' });
    return join(this.dir, `${agent}.json`);
  }

  get(agent: string): WorktreeRecord | undefined {
    const path = this.file(agent);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const r = JSON.parse(text) as WorktreeRecord;
      if (typeof r.agent !== 'string' || typeof r.branch !== 'string' || typeof r.path !== 'string') throw new Error('missing agent, branch or path');
      return r;
    } catch (e) {
      throw new WgError('corrupt_graph', `${path}: ${(e as Error).message}`, { hint: 'fix or remove that file' });
    }
  }

  /** Every record, oldest first. */
  all(): WorktreeRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    return names
      .map((n) => this.get(n.slice(0, -5)))
      .filter((r): r is WorktreeRecord => !!r)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.agent.localeCompare(b.agent));
  }

  /** The records of one task, oldest first. */
  ofTask(task: string): WorktreeRecord[] {
    return this.all().filter((r) => r.task === task);
  }

  put(rec: WorktreeRecord): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileDurable(this.file(rec.agent), JSON.stringify(rec, null, 2) + '\n');
  }

  update(agent: string, patch: Partial<WorktreeRecord>, now: Date): WorktreeRecord | undefined {
    const rec = this.get(agent);
    if (!rec) return undefined;
    const next: WorktreeRecord = { ...rec, ...patch, updated_at: now.toISOString() };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
    this.put(next);
    return next;
  }

  remove(agent: string): void {
    try {
      unlinkSync(this.file(agent));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** Agent branches left unmerged (a conflict, a refusal, a rejection), for the "waits for a human" lists. */
export function unmergedWork(paths: WgPaths): Array<{ task: string; agent: string; branch: string; reason: string }> {
  let recs: WorktreeRecord[];
  try {
    recs = new WorktreeRecords(paths).all();
  } catch {
    return [];
  }
  return recs.filter((r) => r.state === 'unmerged' && r.needs_review).map((r) => ({ task: r.task, agent: r.agent, branch: r.branch, reason: r.conflict?.length ? `conflict in ${r.conflict.join(', ')}` : (r.note ?? 'not merged') }));
}
