import type { Command } from 'commander';
import { usageError, WgError } from '../../core/errors.js';
import { checkOwnFence } from '../../core/plan.js';
import { isAgentActor } from '../../core/task.js';
import { formatTimestamp, parseTimestamp } from '../../core/time.js';
import { updateRegistry } from '../../store/registry.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('heartbeat')
    .description("renew an agent's lease in the registry (never rewrites graph.jsonl); fenced for agents")
    .argument('[agent]', 'agent id (default: $WG_AGENT_ID)')
    .action(async (agentArg: string | undefined, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const agentId = agentArg ?? who.agentId;
      if (!agentId) throw usageError('missing agent id', 'wg heartbeat agent-N (or run it inside an agent, where $WG_AGENT_ID is set)');
      if (!isAgentActor(agentId)) throw usageError(`invalid agent id '${agentId}'`, 'agent ids look like agent-7');
      // Fencing: an agent whose claim was taken away must stop, not keep renewing a lease.
      if (who.agentId && who.fenceTaskId) checkOwnFence(await ctx.graph({ rows: true, whole: [who.fenceTaskId] }), who);
      const pg = await ctx.pg();
      if (pg) {
        // PostgreSQL: the lease is stamped now() by the database, whatever this host's clock says.
        const { PgRegistry } = await import('../../store/pg/registry.js');
        if (!(await new PgRegistry(pg.pool, ctx.host).heartbeat(agentId))) throw new WgError('not_found', `agent '${agentId}' is not a live agent in the registry`, { hint: "'wg agents' lists known agents" });
        ctx.out({ agent: agentId, last_heartbeat: formatTimestamp(pg.clock.now()) }, () => `Heartbeat recorded for ${agentId}`);
        return;
      }
      const stamp = formatTimestamp(who.now);
      await updateRegistry(ctx.paths, (reg) => {
        const agent = reg.agents[agentId];
        if (!agent) throw new WgError('not_found', `agent '${agentId}' is not in the registry`, { hint: "'wg agents' lists known agents" });
        // A heartbeat delayed behind the lock must not move the lease backwards.
        const current = agent.last_heartbeat ? parseTimestamp(agent.last_heartbeat) : undefined;
        if (!current || current.getTime() < who.now.getTime()) agent.last_heartbeat = stamp;
      });
      ctx.out({ agent: agentId, last_heartbeat: stamp }, () => `Heartbeat recorded for ${agentId}`);
    });
}
