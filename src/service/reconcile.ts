/**
 * Tick step 3: stale claims — tasks held by an agent that is dead or unknown to the registry go
 * back to open, counted as a death (core/plans/reconcile.ts; `wg sweep` runs the same plan).
 * Human claims are never touched. Only when one of the claimed tasks (the live graph's index)
 * is a dead claim (core/claims.ts `deadClaim`) does the plan run at all.
 */
import { deadClaim } from '../core/claims.js';
import type { LivenessMap } from '../core/liveness.js';
import { planReconcile, type ReclaimedClaim } from '../core/plans/reconcile.js';
import { serviceActor, type StepContext } from './context.js';

export async function reconcile(ctx: StepContext, liveness: LivenessMap, now: Date): Promise<ReclaimedClaim[]> {
  let stale = false;
  const graph = ctx.graph.graph();
  for (const id of ctx.graph.claimedTasks()) {
    const t = graph.peek(id);
    if (t && deadClaim(t, liveness)) {
      stale = true;
      break;
    }
  }
  if (!stale) return [];
  // The plan runs on the graph as the store has it at write time, which may hold claims made
  // after the registry was read (another host's spawn, with PostgreSQL): those agents are not
  // in `liveness`, and "unknown" would reclaim a claim just made. Only a claim this tick saw —
  // same holder, same epoch — is judged; a newer one waits for the next tick.
  const seen = new Map<string, string>();
  for (const id of ctx.graph.claimedTasks()) {
    const t = graph.peek(id);
    if (t?.assigned) seen.set(id, `${t.assigned}@${t.claim_epoch ?? 0}`);
  }
  const judged = (g: typeof graph): LivenessMap => {
    const m = new Map(liveness);
    for (const t of g.tasks.values()) {
      if (t.assigned && !m.has(t.assigned) && seen.get(t.id) !== `${t.assigned}@${t.claim_epoch ?? 0}`) m.set(t.assigned, { alive: true });
    }
    return m;
  };
  const { reclaimed } = await ctx.graph.mutate((g) => planReconcile(g, judged(g), serviceActor(now), { maxRetries: ctx.settings.dispatcher.maxRetries }), now);
  for (const c of reclaimed) ctx.events.emit('claim:reclaimed', { task: c.task_id, agent: c.agent, reason: c.reason, failed: c.failed });
  return reclaimed;
}
