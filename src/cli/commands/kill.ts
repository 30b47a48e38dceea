import type { Command } from 'commander';
import { usageError, WgError } from '../../core/errors.js';
import { isAgentActor } from '../../core/task.js';
import { isAliveStatus } from '../../store/registry.js';
import { planKill } from '../../core/plans/requeue.js';
import { CliContext } from '../context.js';
import { DRY_RUN_HEADER, recoveryContext, type RecoveryContext } from '../recovery-context.js';
import type { ActionOutcome } from '../task-actions.js';
import type { KilledAgent } from '../../agents/agent-control.js';

interface KillFlags {
  redispatch?: boolean;
  force?: boolean;
}

function killPlan(rc: RecoveryContext, agentId: string, flags: KillFlags, who: ReturnType<CliContext['actor']>) {
  if (!isAgentActor(agentId)) throw usageError(`invalid agent id '${agentId}'`, 'agent ids look like agent-7 (see wg agents)');
  const rec = rc.registry.agents[agentId];
  if (!rec) throw new WgError('not_found', `agent '${agentId}' is not in the registry`, { hint: "'wg agents' lists known agents" });
  return { rec, plan: (g: Parameters<typeof planKill>[0]) => planKill(g, agentId, rec.task_id, { redispatch: !!flags.redispatch, force: !!flags.force }, who) };
}

/** What happened to the agent, in words (another host's agent: what its service answered). */
export function killVerb(agentId: string, k: KilledAgent | undefined): string {
  const on = k?.host ? ` on host '${k.host}'` : '';
  if (k?.pending) return `Asked host '${k.host}' to kill ${agentId} (no answer yet)`;
  return k?.notSignalled ? `Marked ${agentId} dead${on} (not signalled)` : `Killed ${agentId}${on}`;
}

/** `wg kill AGENT` applied (the command and the dashboards' kill key/button). */
export async function killAgent(ctx: CliContext, agentId: string, flags: KillFlags = {}): Promise<ActionOutcome> {
  const who = ctx.actor();
  const rc = await recoveryContext(ctx);
  const { rec, plan } = killPlan(rc, agentId, flags, who);
  const { result: r, killed } = await rc.apply(who, plan);
  // Alive when this command began: a running service that saw the release first may have
  // stopped the agent (claim lost) and marked it dead before our kill step read the registry.
  const wasAlive = isAliveStatus(rec.status) || !!killed[0]?.wasAlive;
  return {
    json: { agent: agentId, was_alive: wasAlive, task: r.task ?? null, ...(killed[0]?.host ? { host: killed[0].host, signalled: !!killed[0].signalled, ...(killed[0].pending ? { pending: true } : {}) } : {}) },
    lines: [`${killVerb(agentId, killed[0])}${wasAlive ? '' : ' (it was not running)'}${r.task ? `; '${rec.task_id}' released${flags.redispatch ? '' : ' and paused (wg resume ' + rec.task_id + ')'}` : ''}`],
  };
}

export function register(program: Command): void {
  program
    .command('kill')
    .description("kill an agent, release its task and pause it (unless --redispatch)")
    .argument('<agent>', 'agent id (agent-N)')
    .option('--redispatch', 'let the service pick the task up again right away')
    .option('--force', 'SIGKILL at once instead of SIGTERM then SIGKILL after kill_grace')
    .option('--dry-run', 'print the plan (the task released, the agent killed), change nothing')
    .action(async (agentId: string, flags: KillFlags & { dryRun?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.dryRun) {
        if (!isAgentActor(agentId)) throw usageError(`invalid agent id '${agentId}'`, 'agent ids look like agent-7 (see wg agents)');
        const rc = await recoveryContext(ctx);
        const p = rc.preview(killPlan(rc, agentId, flags, ctx.actor()).plan);
        ctx.out({ dry_run: true, agent: agentId, plan: p.json }, () => [DRY_RUN_HEADER, ...p.lines]);
        return;
      }
      const o = await killAgent(ctx, agentId, flags);
      ctx.out(o.json, () => o.lines);
    });
}
