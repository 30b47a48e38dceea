/**
 * Tick step 3: stale claims — tasks held by an agent that is dead or unknown to the registry go
 * back to open, counted as a death (core/plans/reconcile.ts; `wg sweep` runs the same plan).
 * Human claims are never touched. Only when one of the tasks agents hold (the service's index)
 * is a dead claim (core/claims.ts `deadClaim`) does the plan run at all.
 */
import { deadClaim } from '../core/claims.js';
import type { Graph } from '../core/graph.js';
import type { LivenessMap } from '../core/liveness.js';
import type { ReclaimedClaim } from '../core/plans/agent-death.js';
import { planReconcile } from '../core/plans/reconcile.js';
import type { Task } from '../core/task.js';
import { serviceActor, type StepContext } from './context.js';

export async function reconcile(ctx: StepContext, liveness: LivenessMap, now: Date): Promise<ReclaimedClaim[]> {
  // The claims this tick saw (holder and epoch), and whether one of them is dead.
  const seen = new Set<string>();
  let stale = false;
  const graph = ctx.graph.graph();
  for (const id of ctx.graph.index().agentClaims.keys()) {
    const t = graph.peek(id);
    if (!t?.assigned) continue;
    seen.add(claimKey(t));
    if (deadClaim(t, liveness)) stale = true;
  }
  if (!stale) return [];
  // The plan runs on the graph as the store has it at write time, which may hold claims made
  // after the registry was read (another host's spawn, with PostgreSQL): those agents are not
  // in `liveness`, and "unknown" would reclaim a claim just made. Only a claim this tick saw —
  // same task, holder and epoch — is judged; a newer one waits for the next tick.
  const judged = (g: Graph): LivenessMap => {
    const m = new Map(liveness);
    for (const t of g.tasks.values()) {
      if (t.assigned && !m.has(t.assigned) && !seen.has(claimKey(t))) m.set(t.assigned, { alive: true });
    }
    return m;
  };
  const { reclaimed } = await ctx.graph.mutate((g) => planReconcile(g, judged(g), serviceActor(now), { maxRetries: ctx.settings.dispatcher.maxRetries }), now);
  for (const c of reclaimed) ctx.events.emit('claim:reclaimed', { task: c.task_id, agent: c.agent, reason: c.reason, failed: c.failed });
  return reclaimed;
}

const claimKey = (t: Task): string => `${t.id} ${t.assigned} ${t.claim_epoch ?? 0}`;
