import type { Command } from 'commander';
import { readiness } from '../../core/readiness.js';
import { READY_STATUSES } from '../../core/transitions.js';
import { isSystemId, STATUSES, type Task } from '../../core/task.js';
import { readRegistry } from '../../store/registry.js';
import { registryLiveness } from '../../agents/liveness.js';
import { processRunning } from '../../agents/process-table.js';
import { readServiceStateFile } from '../../service/service-files.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';

/** Every other status that has tasks (the Rust tool's pending-eval, waiting, …): none is hidden. */
function otherStatuses(counts: Record<string, number>): string {
  const shown = new Set(['open', 'in-progress', 'done', 'failed', 'abandoned']);
  return STATUSES.filter((s) => !shown.has(s) && counts[s])
    .map((s) => `, ${counts[s]} ${s === 'blocked' ? 'marked blocked' : s}`)
    .join('');
}

export function register(program: Command): void {
  program
    .command('status')
    .description('one-screen summary: service, agents, task counts, what is running and ready')
    .option('--all', 'include system (dot) tasks')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = ctx.store().loadFast();
      const now = ctx.clock.now();
      const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
      const ready: Task[] = [];
      const inProgress: Task[] = [];
      let blocked = 0;
      let paused = 0;
      for (const t of graph.tasks.values()) {
        if (!flags.all && isSystemId(t.id)) continue;
        counts[t.status] = (counts[t.status] ?? 0) + 1;
        if (t.paused) paused++;
        if (t.status === 'in-progress') inProgress.push(t);
        if (READY_STATUSES.has(t.status)) {
          if (readiness(graph, t, now, false).ready) ready.push(t);
          else blocked++;
        }
      }
      const state = readServiceStateFile(ctx.paths);
      const service: { running: boolean; pid?: number; socket_path?: string; started_at?: string } = state && processRunning(state.pid) ? { running: true, pid: state.pid, socket_path: state.socket_path, started_at: state.started_at } : { running: false };
      const registry = readRegistry(ctx.paths);
      const agents = Object.values(registry.agents);
      // Alive as the process table says, not just as the registry last recorded.
      const liveness = registryLiveness(registry, now.getTime(), (await ctx.settings()).dispatcher.heartbeatTimeoutMs);
      const alive = agents.filter((a) => liveness.get(a.id)?.alive).length;
      const held = agents.filter((a) => liveness.get(a.id)?.held).length;
      ctx.out(
        {
          service,
          agents: { total: agents.length, alive, held },
          // `blocked` here is readiness (open but waiting); the status `blocked` is in by_status.
          counts: { ...counts, ready: ready.length, blocked, paused },
          by_status: counts,
          in_progress: inProgress.map((t) => ({ id: t.id, title: t.title, assigned: t.assigned ?? null, started_at: graph.get(t.id)!.started_at ?? null })),
          ready: ready.map((t) => ({ id: t.id, title: t.title, priority: t.priority })),
        },
        () => [
          `Service: ${service.running ? `running (PID ${service.pid})` : 'stopped'}`,
          `Agents: ${alive} alive${held ? `, ${held} parked or frozen` : ''}, ${agents.length} total`,
          `Tasks: ${counts['in-progress']} in-progress, ${ready.length} ready, ${blocked} blocked, ${counts.done} done, ${counts.failed} failed, ${counts.abandoned} abandoned${otherStatuses(counts)}${paused ? `, ${paused} paused` : ''}`,
          ...(inProgress.length ? ['', 'In progress:', ...table(inProgress.map((t) => [`  ${t.id}`, t.assigned ?? '(unassigned)', t.title]))] : []),
          ...(ready.length ? ['', 'Ready:', ...table(ready.slice(0, 10).map((t) => [`  ${t.id}`, t.title])), ...(ready.length > 10 ? [`  … and ${ready.length - 10} more (wg ready)`] : [])] : []),
        ],
      );
    });
}
