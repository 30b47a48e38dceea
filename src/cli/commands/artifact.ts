import type { Command } from 'commander';
import { planArtifact } from '../../core/plans/annotate.js';
import { requireTask } from '../../core/plan.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('artifact')
    .description('record (or --remove) an artifact path on a task; without PATH, list them')
    .argument('<id>', 'task id')
    .argument('[path]', 'artifact path or URL')
    .option('--remove', 'remove the artifact instead')
    .action(async (id: string, path: string | undefined, flags: { remove?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (path === undefined) {
        const task = requireTask(await ctx.graph({ rows: true, whole: [id] }), id);
        const arts = task.artifacts ?? [];
        ctx.out(arts, () => (arts.length ? arts : `No artifacts on '${id}'`));
        return;
      }
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planArtifact(g, id, path, who, { remove: !!flags.remove }));
      ctx.out({ task_id: id, artifacts: r.task.artifacts ?? [], changed: r.changed }, () =>
        flags.remove ? (r.changed ? `Removed artifact ${path} from '${id}'` : `'${id}' has no artifact ${path}`) : r.changed ? `Recorded artifact ${path} on '${id}'` : `'${id}' already has artifact ${path}`,
      );
    });
}
