/**
 * Tick step 1: agents whose process ended since the last tick. The decisions are pure
 * (core/plans/agent-death.ts: deliberate kill or crash, what happens to the task — an LLM agent
 * must have reported, its own error text is the failure — the usage the agent printed, the
 * registry status afterwards); this step reads the agent's output (agents/executors/stream.ts),
 * applies the plan under the graph lock, then records the exit in the registry.
 * A clean exit still holding its task is first finished like the agent's own `wg done` (verify,
 * land its worktree branch: work-loop.ts); the exited agent's worktree is then removed or archived.
 */
import { agentAfterExit, classifyExit, planExitWithUsage, planUsageOnTask, type AgentUsage, type ExitContext } from '../core/plans/agent-death.js';
import { mustReport } from '../agents/executors/index.js';
import { readAgentOutputFile, type AgentReport } from '../agents/executors/stream.js';
import { serviceActor, type StepContext } from './context.js';
import { rollbackSpawn, type SpawnFailures } from './spawn.js';
import type { AgentExit } from './supervisor.js';
import { cleanAfterExit, finishCleanExit } from './work-loop.js';

export async function handleExit(ctx: StepContext, ex: AgentExit, now: Date, failures: SpawnFailures): Promise<void> {
  let rec = ctx.registry.current().agents[ex.agentId];
  if (!rec && ctx.registry.refresh) {
    // A shared (PostgreSQL) registry: our copy may predate the agent's record (written while the
    // database was restarting). Never drop the exit of an agent we started for a stale copy.
    await ctx.registry.refresh();
    rec = ctx.registry.current().agents[ex.agentId];
  }
  if (!rec) {
    ctx.warn('exit:unknown-agent', { agent: ex.agentId }, `exit of ${ex.agentId} ignored: it is not in the registry`);
    return;
  }
  // The command never started: a failed spawn (claim back, back-off), not an exit.
  if (ex.launchError !== undefined && !ex.killedBy) return rollbackSpawn(ctx, failures, ex.agentId, ex.launchError, now);
  // An agent that ran resets its task's spawn-failure count.
  failures.delete(rec.task_id);
  const cls = classifyExit(ex, rec);
  let action = 'none';
  const llm = mustReport(rec.executor ?? '');
  const report: AgentReport = rec.output_file ? readAgentOutputFile(rec.output_file, { streamJson: llm }) : {};
  const usage: AgentUsage = { ...(report.session_id ? { session_id: report.session_id } : {}), ...(report.token_usage ? { token_usage: report.token_usage } : {}) };
  if (cls.deliberate) {
    // Stopped on purpose: the task is that command's business; the tokens spent are still the task's.
    await ctx.graph.mutate((g) => planUsageOnTask(g, rec, usage), now);
  } else if (cls.outcome) {
    const outcome = cls.outcome;
    const exit: ExitContext = {
      mustReport: llm,
      autoEvaluate: ctx.settings.agency.autoEvaluate,
      ...(report.error_text ? { errorText: report.error_text } : {}),
      ...(report.failure_class ? { failureClass: report.failure_class } : {}),
    };
    const finish = await finishCleanExit(ctx, rec, outcome, now);
    const r = await ctx.graph.mutate((g) => planExitWithUsage(g, rec, outcome, usage, serviceActor(now), { maxRetries: ctx.settings.dispatcher.maxRetries, exit, ...finish }), now);
    action = r.action;
    if (r.reclaimed) ctx.events.emit('claim:reclaimed', { task: rec.task_id, agent: rec.id, reason: r.reclaimed.reason, failed: r.reclaimed.failed });
  }
  const taskNow = ctx.graph.graph().get(rec.task_id);
  await ctx.registry.update((r) => {
    const a = r.agents[ex.agentId];
    if (a) Object.assign(a, agentAfterExit(a, rec, ex, cls, taskNow, usage, now), report.error_text && !cls.deliberate ? { error: report.error_text, ...(report.error_source ? { error_source: report.error_source } : {}) } : {});
  });
  ctx.events.emit('agent:exited', { agent: ex.agentId, task: rec.task_id, code: ex.code, signal: ex.signal, action, ...(ex.killedBy ? { killedBy: ex.killedBy } : {}) });
  await cleanAfterExit(ctx, ex.agentId, now);
}

export async function handleExits(ctx: StepContext, exits: AgentExit[], now: Date, failures: SpawnFailures): Promise<void> {
  for (let i = 0; i < exits.length; i++) {
    try {
      await handleExit(ctx, exits[i]!, now, failures);
    } catch (e) {
      // The store failed under us (a PostgreSQL restart): the exits not yet applied go back in
      // the queue for the next tick — an exit is never lost, so its task is never re-run.
      // Applying one twice is harmless: its plan is fenced on (agent, epoch).
      ctx.supervisor.requeueExits(exits.slice(i));
      throw e;
    }
  }
}
