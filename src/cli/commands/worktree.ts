import type { Command } from 'commander';
import { registryLiveness } from '../../agents/liveness.js';
import { usageError, WgError } from '../../core/errors.js';
import { formatAge, parseTimestamp, requireDuration } from '../../core/time.js';
import { projectRepo } from '../../git/land.js';
import { commitWork, deleteBranchIfLanded, removeWorktreeDir, unrecordedWorktrees, worktreeFacts, type WorktreeFacts } from '../../git/worktree.js';
import { WorktreeRecords, type WorktreeRecord } from '../../store/worktrees.js';
import { CliContext } from '../context.js';

async function repoOrFail(ctx: CliContext): Promise<string> {
  const root = await projectRepo(ctx.paths);
  if (!root) throw new WgError('not_found', 'this project is not in a git repository (with a commit): agents have no worktrees here', { hint: 'git init && git commit, and keep worktree_isolation on' });
  return root;
}

async function aliveMap(ctx: CliContext): Promise<Map<string, boolean>> {
  const settings = await ctx.settings();
  const live = registryLiveness(await ctx.registry(), (await ctx.now()).getTime(), settings.dispatcher.heartbeatTimeoutMs);
  return new Map([...live].map(([id, l]) => [id, l.alive]));
}

/** Every worktree wg knows of: its records, plus worktrees under .wg-worktrees/ another tool made. */
async function allWorktrees(root: string, records: WorktreeRecords): Promise<WorktreeRecord[]> {
  const recs = records.all();
  const extra = await unrecordedWorktrees(root, new Set(recs.map((r) => r.path)));
  for (const c of extra) {
    const agent = c.path.split('/').pop()!;
    const branch = c.branch?.replace(/^refs\/heads\//, '') ?? '';
    recs.push({ agent, task: branch.split('/').slice(2).join('/') || '?', path: c.path, branch, base_commit: 'HEAD', created_at: '', updated_at: '', state: 'active' });
  }
  return recs;
}

function describe(r: WorktreeRecord, f: WorktreeFacts, alive: boolean | undefined): string {
  const bits = [alive ? 'agent running' : r.state];
  if (!f.exists) bits.push('directory removed');
  if (f.dirty) bits.push(`${f.dirty} uncommitted file(s)`);
  if (f.ahead) bits.push(`${f.ahead} commit(s) not in ${r.base ?? 'its base'}`);
  if (f.landed && r.state !== 'merged') bits.push('already contained in its base');
  if (r.conflict?.length) bits.push(`conflict in ${r.conflict.join(', ')}`);
  else if (r.note && r.state === 'unmerged') bits.push(r.note);
  return bits.join('; ');
}

export function register(program: Command): void {
  const wt = program.command('worktree').description("agents' git worktrees (.wg-worktrees/<agent>): list, archive, gc");

  wt.command('list')
    .description('every agent worktree: task, branch, state, unmerged commits, uncommitted files')
    .action(async (_f: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const root = await repoOrFail(ctx);
      const records = new WorktreeRecords(ctx.paths);
      const alive = await aliveMap(ctx);
      const now = ctx.clock.now().getTime();
      const rows: Array<WorktreeRecord & WorktreeFacts & { agent_alive: boolean; age: string | null; summary: string }> = [];
      for (const r of await allWorktrees(root, records)) {
        const f = await worktreeFacts(root, r);
        const ageMs = r.created_at ? now - (parseTimestamp(r.created_at)?.getTime() ?? now) : undefined;
        rows.push({ ...r, ...f, agent_alive: alive.get(r.agent) ?? false, age: ageMs !== undefined ? formatAge(ageMs) : null, summary: describe(r, f, alive.get(r.agent)) });
      }
      ctx.out(rows, () =>
        rows.length
          ? rows.flatMap((r) => [`${r.agent}  ${r.task}  ${r.branch}${r.base ? ` → ${r.base}` : ''}${r.age ? `  (${r.age})` : ''}`, `    ${r.summary}`, `    ${r.path}`])
          : 'No agent worktrees',
      );
    });

  wt.command('archive')
    .description("commit an agent's uncommitted work on its branch (an archive commit); --remove also deletes the directory")
    .argument('<agent>', 'agent id (agent-N)')
    .option('--remove', 'remove the worktree directory afterwards (the branch keeps the work)')
    .action(async (agent: string, flags: { remove?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const root = await repoOrFail(ctx);
      const records = new WorktreeRecords(ctx.paths);
      const rec = (await allWorktrees(root, records)).find((r) => r.agent === agent);
      if (!rec) throw new WgError('not_found', `no worktree for '${agent}'`, { hint: "see 'wg worktree list'" });
      if ((await aliveMap(ctx)).get(agent)) throw new WgError('invalid_transition', `${agent} is still running in ${rec.path}`, { hint: `stop it first: wg kill ${agent}` });
      const commit = await commitWork(rec.path, `wg archive: uncommitted work of ${agent} on ${rec.task}`);
      if (flags.remove) await removeWorktreeDir(root, rec);
      const now = ctx.clock.now();
      if (records.get(agent)) records.update(agent, { ...(rec.state === 'active' ? { state: 'archived' as const } : {}), ...(flags.remove ? { removed: true } : {}) }, now);
      ctx.out({ agent, commit: commit ?? null, removed: !!flags.remove, branch: rec.branch }, () => [
        commit ? `Archived the uncommitted work of ${agent} on ${rec.branch} (${commit.slice(0, 10)})` : `Nothing uncommitted in ${agent}'s worktree; its work is on ${rec.branch}`,
        ...(flags.remove ? [`Removed ${rec.path} (the branch ${rec.branch} is kept)`] : []),
      ]);
    });

  wt.command('gc')
    .description('clean up the worktrees of agents that are no longer running (dry run unless --execute): landed ones are removed with their branch; others are archived and removed, their branch kept')
    .option('--execute', 'do it (default: show what would be done)')
    .option('--older <duration>', 'only worktrees not touched for this long (e.g. 7d)')
    .option('--dead-only', 'only worktrees of agents that are not running (always the case: a running agent’s worktree is never collected)')
    .action(async (flags: { execute?: boolean; older?: string; deadOnly?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const root = await repoOrFail(ctx);
      const records = new WorktreeRecords(ctx.paths);
      const alive = await aliveMap(ctx);
      const olderMs = flags.older !== undefined ? requireDuration('--older', flags.older) : undefined;
      if (olderMs !== undefined && olderMs < 0) throw usageError('--older must be positive');
      const now = ctx.clock.now();
      const actions: Array<{ agent: string; branch: string; action: string; done?: boolean }> = [];
      for (const r of await allWorktrees(root, records)) {
        if (alive.get(r.agent)) continue;
        const touched = parseTimestamp(r.updated_at || r.created_at)?.getTime();
        if (olderMs !== undefined && touched !== undefined && now.getTime() - touched < olderMs) continue;
        const f = await worktreeFacts(root, r);
        const landed = r.state === 'merged' || f.landed;
        if (landed && !f.exists && !f.branchExists) {
          actions.push({ agent: r.agent, branch: r.branch, action: 'forget (nothing left)' });
          if (flags.execute) records.remove(r.agent);
          continue;
        }
        if (!f.exists && !landed) continue; // already archived: the branch waits for review
        const action = landed ? 'remove worktree and branch (landed)' : `archive${f.dirty ? ` ${f.dirty} uncommitted file(s)` : ''} and remove the worktree; keep ${r.branch} (${f.ahead} unmerged commit(s))`;
        const entry: { agent: string; branch: string; action: string; done?: boolean } = { agent: r.agent, branch: r.branch, action };
        actions.push(entry);
        if (!flags.execute) continue;
        if (f.exists) {
          await commitWork(r.path, `wg archive: uncommitted work of ${r.agent} on ${r.task}`);
          await removeWorktreeDir(root, r);
        }
        if (landed && (await deleteBranchIfLanded(root, r))) records.remove(r.agent);
        else if (records.get(r.agent)) records.update(r.agent, { state: r.state === 'active' ? 'archived' : r.state, removed: true }, now);
        entry.done = true;
      }
      ctx.out({ execute: !!flags.execute, actions }, () =>
        actions.length
          ? [flags.execute ? 'Cleaned up:' : 'Dry run — would clean up (run with --execute):', ...actions.map((a) => `  ${a.agent}: ${a.action}`)]
          : 'Nothing to clean up',
      );
    });
}
