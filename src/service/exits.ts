/**
 * Tick step 1: agents whose process ended since the last tick. The decisions are pure
 * (core/plans/agent-death.ts: deliberate kill or crash, what happens to the task, the usage the
 * agent printed, the registry status afterwards); this step reads the agent's output for its
 * usage, applies the plan under the graph lock, then records the exit in the registry. A clean
 * exit still holding its task is first finished like the agent's own `wg done` (verify, land its
 * worktree branch: work-loop.ts); the exited agent's worktree is then removed or archived.
 */
import { agentAfterExit, classifyExit, planExitWithUsage, type AgentUsage } from '../core/plans/agent-death.js';
import { summarizeStreamFile } from '../agents/executors/stream.js';
import { serviceActor, type StepContext } from './context.js';
import type { AgentExit } from './supervisor.js';
import { cleanAfterExit, finishCleanExit } from './work-loop.js';

export async function handleExit(ctx: StepContext, ex: AgentExit, now: Date): Promise<void> {
  const rec = ctx.registry.current().agents[ex.agentId];
  if (!rec) return;
  const cls = classifyExit(ex, rec);
  let action = 'none';
  let usage: AgentUsage = {};
  if (!cls.deliberate) {
    usage = rec.output_file ? summarizeStreamFile(rec.output_file) : {};
    if (cls.outcome) {
      const outcome = cls.outcome;
      const finish = await finishCleanExit(ctx, rec, outcome, now);
      const r = await ctx.graph.mutate((g) => planExitWithUsage(g, rec, outcome, usage, serviceActor(now), { maxRetries: ctx.settings.dispatcher.maxRetries, ...finish }), now);
      action = r.action;
      if (r.reclaimed) ctx.events.emit('claim:reclaimed', { task: rec.task_id, agent: rec.id, reason: r.reclaimed.reason, failed: r.reclaimed.failed });
    }
  }
  const taskNow = ctx.graph.graph().get(rec.task_id);
  await ctx.registry.update((r) => {
    const a = r.agents[ex.agentId];
    if (a) Object.assign(a, agentAfterExit(a, rec, ex, cls, taskNow, usage, now));
  });
  ctx.events.emit('agent:exited', { agent: ex.agentId, task: rec.task_id, code: ex.code, signal: ex.signal, action, ...(ex.killedBy ? { killedBy: ex.killedBy } : {}) });
  await cleanAfterExit(ctx, ex.agentId, now);
}

export async function handleExits(ctx: StepContext, exits: AgentExit[], now: Date): Promise<void> {
  for (const ex of exits) await handleExit(ctx, ex, now);
}
