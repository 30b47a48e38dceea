import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { latestEvaluation, readEvaluations } from '../../agency/evaluations.js';
import { buildSite } from '../../render/html.js';
import { CliContext } from '../context.js';
import { checkSiteTarget, writeSite } from '../write-site.js';

export function register(program: Command): void {
  program
    .command('html')
    .description('write the graph as a static site: index.html and a page per task')
    .requiredOption('--out <dir>', 'the site directory (created, or replaced if wg html wrote it)')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { out: string; all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      // Refuse a bad --out before reading anything; writeSite checks again just before writing.
      checkSiteTarget(flags.out);
      const graph = await ctx.graph();
      const evals = readEvaluations(ctx.paths);
      const site = buildSite(graph, {
        all: !!flags.all,
        evaluation: (id) => {
          const e = latestEvaluation(evals, id);
          return e ? { score: e.score, dimensions: e.dimensions } : undefined;
        },
      });
      const { target, warnings } = writeSite(flags.out, site.files);
      const allWarnings = [...site.warnings, ...warnings];
      for (const w of allWarnings) ctx.note(`warning: ${w}`);
      const index = join(target, 'index.html');
      ctx.out({ out: target, index, pages: site.tasks.length, warnings: allWarnings }, () => {
        const shown = relative(process.cwd(), index) || index;
        return `Wrote ${site.tasks.length} task ${site.tasks.length === 1 ? 'page' : 'pages'} and ${shown.startsWith('..') ? index : shown}`;
      });
    });
}
