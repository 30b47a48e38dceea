/**
 * `wg archive [--older-than D] [--dry-run]`: done/abandoned tasks out of graph.jsonl into
 * `.wg/archive.jsonl` (core/plans/archive.ts decides; store/archive.ts moves under the lock).
 * `wg archive search TEXT`, `wg archive restore ID`. Dependencies on archived tasks stay satisfied.
 */
import type { Command } from 'commander';
import { checkRestore, planArchive } from '../../core/plans/archive.js';
import { requireDuration } from '../../core/time.js';
import { table } from '../../render/table.js';
import { archivePath, moveToArchive, readArchive, restoreFromArchive } from '../../store/archive.js';
import { CliContext } from '../context.js';

const DEFAULT_OLDER_THAN = '7d';

export function register(program: Command): void {
  const archive = program
    .command('archive')
    .description('move done/abandoned tasks to .wg/archive.jsonl (searchable, restorable; dependencies on them stay satisfied)')
    .option('--older-than <D>', `only tasks finished longer ago than this (0: every finished task)`, DEFAULT_OLDER_THAN)
    .option('--dry-run', 'say what would move, change nothing')
    .action(async (flags: { olderThan: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      await ctx.jsonlOnly('archive', 'the archive is .wg/archive.jsonl, beside graph.jsonl');
      const olderThan = requireDuration('--older-than', flags.olderThan);
      const who = ctx.actor();
      const now = ctx.clock.now();
      if (flags.dryRun) {
        const plan = planArchive(ctx.store().loadFast(), now, olderThan);
        ctx.out({ dry_run: true, ...plan }, () => [`Would archive ${plan.ids.length} task(s) finished before ${plan.cutoff}`, ...plan.ids.slice(0, 50).map((id) => `  ${id}`), ...(plan.ids.length > 50 ? [`  … and ${plan.ids.length - 50} more`] : []), ...plan.kept.map((k) => `kept ${k.id}: ${k.reason}`)]);
        return;
      }
      const r = await moveToArchive(
        ctx.paths,
        (graph) => {
          const plan = planArchive(graph, now, olderThan);
          return { ids: plan.ids, ops: plan.ids.length ? [{ op: 'archive', detail: { count: plan.ids.length, older_than: flags.olderThan } }] : [], result: plan };
        },
        { actor: who.actor, ...(who.user ? { user: who.user } : {}), now },
      );
      ctx.out({ archived: r.moved, kept: r.result.kept, cutoff: r.result.cutoff, file: archivePath(ctx.paths) }, () => [
        r.moved.length ? `Archived ${r.moved.length} task(s) finished before ${r.result.cutoff} to ${archivePath(ctx.paths)}` : `Nothing to archive (no done/abandoned task finished before ${r.result.cutoff})`,
        ...r.result.kept.map((k) => `kept ${k.id}: ${k.reason}`),
      ]);
    });

  archive
    .command('search')
    .description('find archived tasks by id, title, description or tag (case-insensitive)')
    .argument('[text]', 'what to look for (omit to list all)', '')
    .action(async (text: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      await ctx.jsonlOnly('archive', 'the archive is .wg/archive.jsonl, beside graph.jsonl');
      const q = text.toLowerCase();
      const hits = [...readArchive(ctx.paths).values()]
        .map((e) => e.task)
        .filter((t) => !q || [t.id, t.title, t.description ?? '', ...(t.tags ?? [])].some((f) => f.toLowerCase().includes(q)));
      ctx.out(
        hits.map((t) => ({ id: t.id, title: t.title, status: t.status, completed_at: t.completed_at ?? null, tags: t.tags ?? [] })),
        () => (hits.length ? [...table(hits.map((t) => [t.id, t.status, t.completed_at ?? '-', t.title]), { header: ['ID', 'STATUS', 'COMPLETED', 'TITLE'] }), `${hits.length} archived task(s)`] : q ? `No archived task matches '${text}'` : 'The archive is empty'),
      );
    });

  archive
    .command('restore')
    .description('bring an archived task back into the graph, unchanged')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      await ctx.jsonlOnly('archive', 'the archive is .wg/archive.jsonl, beside graph.jsonl');
      const who = ctx.actor();
      const t = await restoreFromArchive(ctx.paths, id, (g, a) => checkRestore(g, id, a), { actor: who.actor, ...(who.user ? { user: who.user } : {}), now: who.now });
      ctx.out({ restored: t.id, status: t.status }, () => `Restored '${t.id}' (${t.status}) from the archive`);
    });
}
