/**
 * Tick step 3: stale claims — tasks held by an agent that is dead or unknown to the registry go
 * back to open, counted as a death (core/plans/reconcile.ts; `wg sweep` runs the same plan).
 * Human claims are never touched. Only when one of the tasks agents hold (the service's index)
 * is a dead claim (core/claims.ts `deadClaim`) does the plan run at all.
 */
import { deadClaim } from '../core/claims.js';
import type { LivenessMap } from '../core/liveness.js';
import type { ReclaimedClaim } from '../core/plans/agent-death.js';
import { planReconcile } from '../core/plans/reconcile.js';
import { serviceActor, type StepContext } from './context.js';

export async function reconcile(ctx: StepContext, liveness: LivenessMap, now: Date): Promise<ReclaimedClaim[]> {
  let stale = false;
  const graph = ctx.graph.graph();
  for (const id of ctx.graph.index().agentClaims.keys()) {
    const t = graph.peek(id);
    if (t && deadClaim(t, liveness)) {
      stale = true;
      break;
    }
  }
  if (!stale) return [];
  const { reclaimed } = await ctx.graph.mutate((g) => planReconcile(g, liveness, serviceActor(now), { maxRetries: ctx.settings.dispatcher.maxRetries }), now);
  for (const c of reclaimed) ctx.events.emit('claim:reclaimed', { task: c.task_id, agent: c.agent, reason: c.reason, failed: c.failed });
  return reclaimed;
}
