import type { Command } from 'commander';
import { rootCauses } from '../../core/blockers.js';
import { requireTask } from '../../core/plan.js';
import { describeBlocker, readiness } from '../../core/readiness.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('why-blocked')
    .description('the root causes a task is not ready, through the whole dependency chain')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = await ctx.graph({ rows: true, whole: [id] });
      const now = (await ctx.now());
      const task = requireTask(graph, id);
      const direct = readiness(graph, task, now);
      const roots = rootCauses(graph, id, now);
      ctx.out({ id, ready: direct.ready, blockers: direct.blockers, root_causes: roots }, () => {
        if (direct.ready) return `'${id}' is ready${task.assigned ? ` (claimed by ${task.assigned})` : ''}`;
        const lines = [`'${id}' is not ready:`, ...direct.blockers.map((b) => `  ${describeBlocker(b)}`)];
        if (roots.length) {
          lines.push('', 'Root causes:');
          for (const r of roots) lines.push(`  ${r.id}: ${r.reasons.map(describeBlocker).join(', ')}${r.path.length > 2 ? `  (via ${r.path.slice(1, -1).join(' → ')})` : ''}`);
        }
        return lines;
      });
    });
}
