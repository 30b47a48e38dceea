import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { planAssign } from '../../core/plans/evaluation.js';
import { readAgents, readRoles, readTradeoffs } from '../../agency/files.js';
import { resolveRef, shortId } from '../../agency/identity.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('assign')
    .description("set a task's agency identity (task.agent); it is rendered into the agent's prompt at spawn")
    .argument('<task>', 'task id')
    .argument('[agent]', 'agent name or unique id prefix (see wg agent list)')
    .option('--clear', 'remove the identity')
    .action(async (taskId: string, ref: string | undefined, flags: { clear?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.clear && ref !== undefined) throw usageError('give an agent or --clear, not both');
      if (!flags.clear && ref === undefined) throw usageError('missing agent', `name one: wg assign ${taskId} AGENT (see wg agent list), or pass --clear`);
      let agentId: string | undefined;
      let label: string | undefined;
      if (ref !== undefined) {
        const a = resolveRef('agent', ref, readAgents(ctx.paths), 'wg agent list');
        agentId = a.id;
        const role = readRoles(ctx.paths).find((r) => r.id === a.role_id)?.name;
        const tradeoff = readTradeoffs(ctx.paths).find((t) => t.id === a.tradeoff_id)?.name;
        label = `${role ?? shortId(a.role_id)} / ${tradeoff ?? shortId(a.tradeoff_id)}`;
      }
      const who = ctx.actor();
      const r = await ctx.mutate(who, (g) => planAssign(g, taskId, agentId, who, label));
      ctx.out({ task: r.task, changed: r.changed }, () =>
        !r.changed ? `Task '${taskId}' already has ${agentId ? `agent ${shortId(agentId)}` : 'no agent identity'}` : agentId ? `Assigned agent ${shortId(agentId)} (${label}) to '${taskId}'` : `Cleared the agent identity of '${taskId}'`,
      );
    });
}
