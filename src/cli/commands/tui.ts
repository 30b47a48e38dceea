import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { LiveSource } from '../../dashboard/source.js';
import { CliContext } from '../context.js';
import { dashboardHeap, dashboardSourceOptions } from '../dashboard-options.js';
import { cliActions } from '../task-actions.js';

export function register(program: Command): void {
  program
    .command('tui')
    .description('interactive terminal dashboard: tasks, dependency tree, agents, inspector; keys for retry, kill, unclaim, pause/resume, approve, reject, message')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (!process.stdin.isTTY || !process.stdout.isTTY) throw usageError('wg tui needs a terminal (stdin and stdout)', "for a stream of changes use 'wg status' or the web dashboard 'wg serve'");
      dashboardHeap();
      // LiveSource loads the graph (refusing a missing or unreadable one) before anything is
      // drawn: one load, not a check load and then the dashboard's own.
      const source = new LiveSource(ctx.paths, await dashboardSourceOptions(ctx, { includeSystem: !!flags.all }));
      // ink draws nothing but the last frame when it thinks it runs in CI (CI=1 in the
      // environment); a human at a terminal asked for the live view, so it gets it.
      delete process.env.CI;
      delete process.env.CONTINUOUS_INTEGRATION;
      const { runTui } = await import('../../tui/run.js');
      await runTui(source, cliActions(ctx));
    });
}
