import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { latestEvaluation, readTaskEvaluations } from '../../agency/evaluations.js';
import { WgError } from '../../core/errors.js';
import { LiveSource } from '../../dashboard/source.js';
import { startServer } from '../../serve/server.js';
import { CliContext } from '../context.js';
import { dashboardHeap, dashboardSourceOptions, parsePort } from '../dashboard-options.js';
import { cliActions } from '../task-actions.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('a live web dashboard on 127.0.0.1 (stuck work, agents, graph, task pages, retry/kill/unclaim buttons); prints a URL with a random token')
    .option('--port <n>', 'port to listen on (0: any free port)', '0')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { port: string; all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const port = parsePort(flags.port);
      dashboardHeap();
      // LiveSource loads the graph (refusing a missing or unreadable one) before anything is
      // listened on: one load, not a check load and then the dashboard's own.
      const source = new LiveSource(ctx.paths, await dashboardSourceOptions(ctx, { includeSystem: !!flags.all }));
      const token = randomBytes(24).toString('base64url');
      let server;
      try {
        server = await startServer({
          port,
          token,
          source,
          actions: cliActions(ctx),
          evaluation: (id) => {
            const e = latestEvaluation(readTaskEvaluations(ctx.paths, id), id);
            return e ? { score: e.score, dimensions: e.dimensions } : undefined;
          },
        });
      } catch (e) {
        source.close();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new WgError('io', `port ${port} on 127.0.0.1 is in use`, { hint: 'pass another --port, or --port 0 for any free port' });
        throw e;
      }
      ctx.out({ url: server.url, port: server.port, pid: process.pid }, () => [`Dashboard: ${server.url}`, 'Listening on 127.0.0.1 only; the token is required. Ctrl-C stops.']);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          source.close();
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
