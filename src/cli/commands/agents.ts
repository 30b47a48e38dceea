import type { Command } from 'commander';
import { usageError, WgError } from '../../core/errors.js';
import { isAgentActor } from '../../core/task.js';
import { planAgentKill } from '../../core/plans/requeue.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';
import { formatAge, parseTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { isEndedStatus } from '../../store/registry.js';
import { request } from '../../service/ipc.js';
import { CliContext } from '../context.js';
import { killVerb } from './kill.js';
import { registerAgentsLog } from './agents-log.js';

/** Each watched agent's idle time (ms) from the running service; undefined when it is not running. */
async function serviceIdle(ctx: CliContext): Promise<Record<string, number> | undefined> {
  try {
    const r = await request(ctx.paths, { cmd: 'status' }, 1000);
    return r.ok ? (r.idle_ms as Record<string, number> | undefined) : undefined;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  const agents = program
    .command('agents')
    .description('live agents: id, task, executor, pid, uptime, idle time, status, last heartbeat (--all: history too)')
    .option('--all', 'every agent the registry knows, finished ones included')
    .option('--alive', 'only live agents (the default)')
    .option('--dead', 'only finished or dead agents')
    .action(async (flags: { all?: boolean; alive?: boolean; dead?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if ([flags.all, flags.alive, flags.dead].filter(Boolean).length > 1) throw usageError('--all, --alive and --dead exclude each other');
      const now = ctx.clock.now().getTime();
      const rc = await recoveryContext(ctx);
      // Registry status, corrected by the process table: a "working" agent whose PID is gone is dead.
      const rows = Object.values(rc.registry.agents)
        .sort((a, b) => Number(a.id.slice(6)) - Number(b.id.slice(6)))
        .map((a) => {
          const l = rc.liveness.get(a.id);
          const alive = !!l?.alive;
          // A parked or frozen agent (the Rust tool's) shows as such; a frozen one whose PID is gone, as dead.
          return { a, alive, status: alive || l?.held || isEndedStatus(a.status) ? a.status : `dead (${l?.reason ?? 'gone'})` };
        })
        .filter((r) => (flags.all ? true : flags.dead ? !r.alive : r.alive));
      // Idle time (no output, no wg call, no CPU) is known to the running service only.
      const idle = rows.some((r) => r.alive) ? await serviceIdle(ctx) : undefined;
      const idleOf = (id: string): number | null => idle?.[id] ?? null;
      const age = (ts: string | undefined): string => {
        const d = ts ? parseTimestamp(ts) : undefined;
        return d ? formatAge(now - d.getTime()) : '-';
      };
      ctx.out(
        rows.map(({ a, status, alive }) => ({ ...a, status, process_alive: alive, uptime_secs: alive ? Math.floor((now - (parseTimestamp(a.started_at)?.getTime() ?? now)) / 1000) : null, idle_secs: alive && idleOf(a.id) !== null ? Math.floor(idleOf(a.id)! / 1000) : null })),
        () =>
          rows.length
            ? [
                ...table(
                  rows.map(({ a, status, alive }) => [a.id, a.task_id, a.executor ?? '-', a.pid !== undefined ? String(a.pid) : '-', alive ? age(a.started_at) : '-', alive && idleOf(a.id) !== null ? formatAge(idleOf(a.id)!) : '-', status, age(a.last_heartbeat)]),
                  { header: ['ID', 'TASK', 'EXECUTOR', 'PID', 'UPTIME', 'IDLE', 'STATUS', 'HEARTBEAT'] },
                ),
                `${rows.length} agent(s): ${rows.filter((r) => r.alive).length} alive${!flags.all && !flags.dead ? ` (${Object.keys(rc.registry.agents).length - rows.length} finished: wg agents --all)` : ''}`,
              ]
            : `No ${flags.dead ? 'finished' : flags.all ? '' : 'live '}agents${!flags.all && !flags.dead && Object.keys(rc.registry.agents).length ? ` (${Object.keys(rc.registry.agents).length} finished: wg agents --all)` : ''}`.replace('No  ', 'No '),
      );
    });

  registerAgentsLog(agents);

  agents
    .command('kill')
    .description("kill an agent's whole process group (SIGTERM, SIGKILL after kill_grace); the reconciler releases its task")
    .argument('<agent>', 'agent id (agent-N)')
    .option('--force', 'SIGKILL at once')
    .option('--dry-run', 'print the plan (the agent to kill), change nothing')
    .action(async (agentId: string, flags: { force?: boolean; dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (!isAgentActor(agentId)) throw usageError(`invalid agent id '${agentId}'`, 'agent ids look like agent-7 (see wg agents)');
      const rc = await recoveryContext(ctx);
      const rec = rc.registry.agents[agentId];
      if (!rec) throw new WgError('not_found', `agent '${agentId}' is not in the registry`, { hint: "'wg agents' lists known agents" });
      const alive = !!rc.liveness.get(agentId)?.alive;
      const plan = planAgentKill(agentId, alive, !!flags.force);
      if (flags.dryRun) {
        const p = rc.preview(plan);
        ctx.out({ dry_run: true, agent: agentId, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      if (!alive) {
        ctx.out({ agent: agentId, killed: false, already: rec.status }, () => `${agentId} is not running (${rec.status}); nothing to kill`);
        return;
      }
      const { killed } = await rc.apply(ctx.actor(), plan);
      const k = killed[0];
      const refused = k?.notSignalled;
      ctx.out({ agent: agentId, killed: !refused, task: rec.task_id, ...(k?.host ? { host: k.host } : {}) }, () =>
        `${refused || k?.host ? killVerb(agentId, k) : `Killed ${agentId} (PID ${rec.pid ?? '-'})`}; the service's reconciler will release '${rec.task_id}'`,
      );
    });
}
