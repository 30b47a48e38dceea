/**
 * The service's side of the one apply path (src/apply.ts): its plans that kill (agents to stop,
 * a stopped agent past its lease, `stop --kill-agents`) run through `applyPlan` with the
 * supervisor as the Killer, on the service's live graph as the store.
 */
import { applyPlan, type Applied, type Killer } from '../apply.js';
import type { Graph } from '../core/graph.js';
import type { Actor, Plan } from '../core/plan.js';
import type { StepContext } from './context.js';
import type { KillReason } from './events.js';
import type { Supervisor } from './supervisor.js';

/**
 * The service's Killer: the supervisor kills the agents' process groups (SIGTERM, SIGKILL after
 * kill_grace). Their exits come back as exit events; `wait` also waits for the kills to finish
 * (shutdown), otherwise the tick goes on.
 */
export function supervisorKiller(supervisor: Supervisor, wait = false): Killer {
  return {
    async kill(kills) {
      const out = kills.map((k) => ({ id: k.agent, wasAlive: supervisor.isWatched(k.agent) }));
      const running = kills.map((k) => supervisor.kill(k.agent, k.reason as KillReason, k.force ? { force: true } : {}).catch(() => undefined));
      if (wait) await Promise.all(running);
      return out;
    },
  };
}

/** Applies a plan of the service's with the supervisor as the Killer (no kick: this is the service). */
export function applyServicePlan<R>(ctx: StepContext, who: Actor, plan: Plan<R> | ((g: Graph) => Plan<R>), wait = false): Promise<Applied<R>> {
  return applyPlan({ store: ctx.graph.planStore(), killer: supervisorKiller(ctx.supervisor, wait), kick: () => undefined }, who, plan);
}

