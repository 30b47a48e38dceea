/**
 * Tick step 3: stale claims — tasks held by an agent that is dead or unknown to the registry go
 * back to open, counted as a death (core/plans/reconcile.ts; `wg sweep` runs the same plan).
 * Human claims are never touched. Only when one of the claimed tasks (the index) names an agent
 * that is not alive does the plan run at all.
 */
import type { LivenessMap } from '../core/liveness.js';
import { planReconcile, type ReclaimedClaim } from '../core/plans/reconcile.js';
import { serviceActor, type StepContext } from './context.js';

export async function reconcile(ctx: StepContext, liveness: LivenessMap, now: Date): Promise<ReclaimedClaim[]> {
  let stale = false;
  for (const agent of ctx.graph.index().claimed.values()) {
    if (!liveness.get(agent)?.alive) {
      stale = true;
      break;
    }
  }
  if (!stale) return [];
  const { reclaimed } = await ctx.graph.mutate((g) => planReconcile(g, liveness, serviceActor(now), { maxRetries: ctx.settings.maxRetries }), now);
  for (const c of reclaimed) ctx.events.emit('claim:reclaimed', { task: c.task_id, agent: c.agent, reason: c.reason, failed: c.failed });
  return reclaimed;
}
