import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { formatAge, parseTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { sameProcess } from '../../service/process.js';
import { isAliveStatus, readRegistry, type AgentRecord } from '../../store/registry.js';
import { CliContext } from '../context.js';

/** Registry status, corrected by the process table: a "working" agent whose PID is gone is dead. */
function effectiveStatus(a: AgentRecord): { status: string; alive: boolean } {
  if (!isAliveStatus(a.status)) return { status: a.status, alive: false };
  if (a.pid === undefined) return { status: a.status, alive: true };
  const s = sameProcess(a.pid, a.proc_start);
  return s.alive ? { status: a.status, alive: true } : { status: `dead (${s.reason})`, alive: false };
}

export function register(program: Command): void {
  const agents = program
    .command('agents')
    .description('list agents: id, task, executor, pid, uptime, status, last heartbeat')
    .option('--alive', 'only live agents')
    .option('--dead', 'only finished or dead agents')
    .action((flags: { alive?: boolean; dead?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.alive && flags.dead) throw usageError('--alive and --dead exclude each other');
      const now = ctx.clock.now().getTime();
      const rows = Object.values(readRegistry(ctx.paths).agents)
        .sort((a, b) => Number(a.id.slice(6)) - Number(b.id.slice(6)))
        .map((a) => ({ a, ...effectiveStatus(a) }))
        .filter((r) => (flags.alive ? r.alive : flags.dead ? !r.alive : true));
      const age = (ts: string | undefined): string => {
        const d = ts ? parseTimestamp(ts) : undefined;
        return d ? formatAge(now - d.getTime()) : '-';
      };
      ctx.out(
        rows.map(({ a, status, alive }) => ({ ...a, status, process_alive: alive, uptime_secs: alive ? Math.floor((now - (parseTimestamp(a.started_at)?.getTime() ?? now)) / 1000) : null })),
        () =>
          rows.length
            ? [
                ...table(
                  rows.map(({ a, status, alive }) => [a.id, a.task_id, a.executor ?? '-', a.pid !== undefined ? String(a.pid) : '-', alive ? age(a.started_at) : '-', status, age(a.last_heartbeat)]),
                  { header: ['ID', 'TASK', 'EXECUTOR', 'PID', 'UPTIME', 'STATUS', 'HEARTBEAT'] },
                ),
                `${rows.length} agent(s): ${rows.filter((r) => r.alive).length} alive`,
              ]
            : 'No agents',
      );
    });
  void agents;
}
