/**
 * `wg gc [--older-than D] [--dry-run]`: removes terminal system tasks and finished agents'
 * directories past the retention (core/plans/gc.ts). Registry records stay (history, spend).
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { planGc, type AgentDirFacts } from '../../core/plans/gc.js';
import { requireDuration } from '../../core/time.js';
import { moveToArchive } from '../../store/archive.js';
import { readRegistry } from '../../store/registry.js';
import type { WgPaths } from '../../store/paths.js';
import { CliContext } from '../context.js';

const DEFAULT_RETENTION = '7d';

function agentDirs(paths: WgPaths): AgentDirFacts[] {
  const reg = readRegistry(paths).agents;
  let names: string[] = [];
  try {
    names = readdirSync(paths.agentsDir);
  } catch {
    return [];
  }
  const out: AgentDirFacts[] = [];
  for (const id of names) {
    try {
      const st = statSync(join(paths.agentsDir, id));
      if (!st.isDirectory()) continue;
      const r = reg[id];
      out.push({ id, mtimeMs: st.mtimeMs, ...(r ? { status: r.status, completed_at: r.completed_at } : {}) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('gc')
    .description('remove terminal system (dot) tasks and finished agent directories past the retention')
    .option('--older-than <D>', 'retention: only what finished longer ago than this', DEFAULT_RETENTION)
    .option('--dry-run', 'say what would go, change nothing')
    .action(async (flags: { olderThan: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      await ctx.jsonlOnly('gc', 'it removes tasks by rewriting .wg/graph.jsonl');
      const retention = requireDuration('--older-than', flags.olderThan);
      const now = ctx.clock.now();
      const dirs = agentDirs(ctx.paths);
      if (flags.dryRun) {
        const plan = planGc(ctx.store().loadFast(), dirs, now, retention);
        ctx.out({ dry_run: true, ...plan }, () => [`Would remove ${plan.tasks.length} system task(s) and ${plan.agentDirs.length} agent dir(s) finished before ${plan.cutoff}`, ...plan.tasks.map((t) => `  task ${t}`), ...plan.agentDirs.map((a) => `  agents/${a}/`)]);
        return;
      }
      const who = ctx.actor();
      const r = await moveToArchive(
        ctx.paths,
        (graph) => {
          const plan = planGc(graph, dirs, now, retention);
          return { ids: plan.tasks, ops: plan.tasks.length ? [{ op: 'gc', detail: { tasks: plan.tasks } }] : [], result: plan };
        },
        { actor: who.actor, ...(who.user ? { user: who.user } : {}), now },
        { archive: false },
      );
      for (const id of r.result.agentDirs) rmSync(join(ctx.paths.agentsDir, id), { recursive: true, force: true });
      ctx.out({ tasks: r.moved, agent_dirs: r.result.agentDirs, cutoff: r.result.cutoff }, () =>
        r.moved.length || r.result.agentDirs.length ? `Removed ${r.moved.length} system task(s) and ${r.result.agentDirs.length} agent dir(s) finished before ${r.result.cutoff}` : `Nothing to collect (nothing finished before ${r.result.cutoff})`,
      );
    });
}
