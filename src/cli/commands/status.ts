import type { Command } from 'commander';
import { readiness } from '../../core/readiness.js';
import { READY_STATUSES } from '../../core/transitions.js';
import { isSystemId, STATUSES, type Task } from '../../core/task.js';
import { spend, startOfDay, usageRecords } from '../../core/spend.js';
import { formatAge, parseTimestamp } from '../../core/time.js';
import { registryLiveness } from '../../agents/liveness.js';
import { processRunning } from '../../agents/process-table.js';
import { readServiceStateFile } from '../../service/service-files.js';
import { table } from '../../render/table.js';
import { awaitingHuman } from '../../core/human.js';
import { unmergedWork } from '../../store/worktrees.js';
import { CliContext } from '../context.js';

/** A failure reason on one line, cut to fit a terminal row. */
const oneLine = (s: string): string => {
  const l = s.replace(/\s+/g, ' ').trim();
  return l.length > 80 ? `${l.slice(0, 79)}…` : l;
};
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
      const graph = await ctx.graph({ rows: true });
      const now = await ctx.now();
      const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
      const ready: Task[] = [];
      const inProgress: Task[] = [];
      const failed: Task[] = [];
      let blocked = 0;
      let paused = 0;
      for (const t of graph.tasks.values()) {
        if (!flags.all && isSystemId(t.id)) continue;
        counts[t.status] = (counts[t.status] ?? 0) + 1;
        if (t.paused) paused++;
        if (t.status === 'in-progress') inProgress.push(t);
        if (t.status === 'failed') failed.push(t);
        if (READY_STATUSES.has(t.status)) {
          if (readiness(graph, t, now, false).ready) ready.push(t);
          else blocked++;
        }
      }
      const state = readServiceStateFile(ctx.paths);
      const service: { running: boolean; pid?: number; socket_path?: string; started_at?: string } = state && processRunning(state.pid) ? { running: true, pid: state.pid, socket_path: state.socket_path, started_at: state.started_at } : { running: false };
      const registry = await ctx.registry();
      const agents = Object.values(registry.agents);
      // Alive as the process table says, not just as the registry last recorded.
      const liveness = registryLiveness(registry, now.getTime(), (await ctx.settings()).dispatcher.heartbeatTimeoutMs, ctx.host);
      const alive = agents.filter((a) => liveness.get(a.id)?.alive).length;
      // Today's spend: the usage the registry recorded per attempt (wg spend adds tasks' own).
      const today = spend(usageRecords(agents, []), 'day', startOfDay(now)).total;
      const elapsed = (t: Task): string => {
        const s = graph.get(t.id)!.started_at;
        const d = s ? parseTimestamp(s) : undefined;
        return d ? formatAge(now.getTime() - d.getTime()) : '-';
      };
      const human = awaitingHuman(graph, unmergedWork(ctx.paths));
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
          awaiting_human: human,
          spend_today: { input_tokens: today.input_tokens, output_tokens: today.output_tokens, cost_usd: today.cost_usd, attempts: today.attempts },
          failed: failed.map((t) => ({ id: t.id, title: t.title, failure_reason: graph.get(t.id)!.failure_reason ?? null, retry: `wg retry ${t.id}` })),
        },
        () => [
          `Service: ${service.running ? `running (PID ${service.pid})` : 'stopped'}`,
          `Agents: ${alive} alive${held ? `, ${held} parked or frozen` : ''}, ${agents.length} total`,
          `Spend today: ${today.attempts ? `$${today.cost_usd.toFixed(2)}, ${(today.input_tokens + today.output_tokens).toLocaleString('en-US')} tokens (${today.attempts} attempt(s); wg spend)` : 'nothing recorded'}`,
          `Tasks: ${counts['in-progress']} in-progress, ${ready.length} ready, ${blocked} blocked, ${counts.done} done, ${counts.failed} failed, ${counts.abandoned} abandoned${otherStatuses(counts)}${paused ? `, ${paused} paused` : ''}`,
          ...(inProgress.length ? ['', 'In progress:', ...table(inProgress.map((t) => [`  ${t.id}`, t.assigned ?? '(unassigned)', t.title, `for ${elapsed(t)}`]))] : []),
          ...(human.length ? ['', 'Waiting for a human:', ...human.flatMap((h) => [`  ${h.task}: ${h.detail}`, `      → ${h.fix}`])] : []),
          ...(failed.length
            ? [
                '',
                'Failed (wg retry ID re-queues; wg show ID has the log):',
                ...table(failed.slice(0, 10).map((t) => [`  ${t.id}`, `wg retry ${t.id}`, oneLine(graph.get(t.id)!.failure_reason ?? t.title)])),
                ...(failed.length > 10 ? [`  … and ${failed.length - 10} more (wg list --status failed)`] : []),
              ]
            : []),
          ...(ready.length ? ['', 'Ready:', ...table(ready.slice(0, 10).map((t) => [`  ${t.id}`, t.title])), ...(ready.length > 10 ? [`  … and ${ready.length - 10} more (wg ready)`] : [])] : []),
        ],
      );
    });
}
