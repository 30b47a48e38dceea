import type { Command } from 'commander';
import { usageError, WgError } from '../../core/errors.js';
import { isAgentActor } from '../../core/task.js';
import { planAgentKill } from '../../core/plans/requeue.js';
import { DRY_RUN_HEADER, recoveryContext } from '../recovery-context.js';
import { formatAge, parseTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { isEndedStatus } from '../../store/registry.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  const agents = program
    .command('agents')
    .description('list agents: id, task, executor, pid, uptime, status, last heartbeat')
    .option('--alive', 'only live agents')
    .option('--dead', 'only finished or dead agents')
    .action(async (flags: { alive?: boolean; dead?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.alive && flags.dead) throw usageError('--alive and --dead exclude each other');
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
      await rc.apply(ctx.actor(), plan);
      ctx.out({ agent: agentId, killed: true, task: rec.task_id }, () => `Killed ${agentId} (PID ${rec.pid ?? '-'}); the service's reconciler will release '${rec.task_id}'`);
    });
}
