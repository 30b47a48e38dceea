/**
 * The service's reconcile step (src/service/reconcile.ts) against a store that moved between the
 * tick's read and its write: with PostgreSQL another host may claim a task (its agent registered
 * on that host) after this tick read the registry. The reclaim plan runs on the rows at write
 * time; a claim the tick did not see must not be reclaimed as "unknown" — it is judged next tick.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/core/graph.js';
import type { LivenessMap } from '../../src/core/liveness.js';
import type { Plan } from '../../src/core/plan.js';
import type { StepContext } from '../../src/service/context.js';
import { ServiceEvents } from '../../src/service/events.js';
import { reconcile } from '../../src/service/reconcile.js';
import { TaskIndex } from '../../src/service/task-index.js';
import { graph, NOW, task } from './fixtures.js';

function context(atTick: Graph, atWrite: Graph): { ctx: StepContext; written: Graph[] } {
  const index = new TaskIndex(false);
  index.apply(atTick, { reload: true, ids: new Set(), structural: true });
  const written: Graph[] = [];
  const ctx = {
    settings: { dispatcher: { maxRetries: 3 } },
    events: new ServiceEvents(),
    graph: {
      graph: () => atTick,
      index: () => index,
      mutate: async <R>(plan: (g: Graph) => Plan<R>): Promise<R> => {
        written.push(atWrite);
        return plan(atWrite).result;
      },
    },
  } as unknown as StepContext;
  return { ctx, written };
}

describe('reconcile step: claims made after the tick read the registry', () => {
  const dead: LivenessMap = new Map([['agent-1', { alive: false, reason: 'PID 10 gone' }]]);

  it('reclaims the dead claim it saw, not a claim another host made since', async () => {
    const seen = task('a', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 });
    const atTick = graph(seen, task('b'));
    const atWrite = graph(seen, task('b', { status: 'in-progress', assigned: 'agent-7', claim_epoch: 1 }));
    const { ctx, written } = context(atTick, atWrite);
    const reclaimed = await reconcile(ctx, dead, NOW);
    expect(written).toHaveLength(1);
    expect(reclaimed.map((c) => [c.task_id, c.agent])).toEqual([['a', 'agent-1']]);
  });

  it('a claim it saw by an agent the registry does not know is reclaimed; a newer claim of the same task is not', async () => {
    const atTick = graph(task('a', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }), task('c', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 2 }));
    // At write time: 'a' unchanged (agent-1 dead), 'c' still held by agent-3 whom the registry
    // did not know at the tick (unknown: reclaimed), and nothing else.
    const { ctx } = context(atTick, atTick);
    expect((await reconcile(ctx, dead, NOW)).map((c) => c.task_id).sort()).toEqual(['a', 'c']);

    // Same tick view, but 'c' was released and claimed again (epoch 4) by agent-3 before the write.
    const moved = graph(task('a', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }), task('c', { status: 'in-progress', assigned: 'agent-3', claim_epoch: 4 }));
    const second = context(atTick, moved);
    expect((await reconcile(second.ctx, dead, NOW)).map((c) => c.task_id)).toEqual(['a']);
  });
});
