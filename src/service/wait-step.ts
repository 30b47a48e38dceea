/**
 * Tick step (after agency, before stop): parked tasks (`wg wait`, SPEC §10) whose condition
 * holds go back to the queue — core/plans/wait.ts `planResumeWaiting` decides from data this
 * step reads once: the clock, the messages that arrived for each parked task since it parked,
 * the watched files' modification times. Nothing to do (one index lookup) when no task waits.
 * A `wg msg send` kicks the service; a timer wakes it (`waitWakeMs`); a watched file is looked
 * at on the poll interval.
 */
import { arrivedSince, type Message } from '../core/messages.js';
import { planResumeWaiting } from '../core/plans/wait.js';
import type { Task } from '../core/task.js';
import { nextTimerMs, parkedAt, readWaitSpec, type ArrivedMessages, type WaitInputs } from '../core/wait.js';
import { statSync } from 'node:fs';
import { MessageStore } from '../store/messages.js';
import { serviceActor, type StepContext } from './context.js';

/** The waiting tasks, whole (their wait_condition and log). Few: one per parked agent. */
function waiting(ctx: StepContext): Task[] {
  const graph = ctx.graph.graph();
  return [...ctx.graph.withStatus('waiting')].flatMap((id) => graph.get(id) ?? []);
}

/** The data the parked tasks' conditions need now. An unreadable queue counts as nothing new. */
export function waitInputs(ctx: StepContext, tasks: readonly Task[], now: Date, queues?: ReadonlyMap<string, Message[]>): WaitInputs {
  const messages = new Map<string, ArrivedMessages>();
  const mtimes = new Map<string, number>();
  const store = queues ? { list: (id: string): Message[] => queues.get(id) ?? [] } : new MessageStore(ctx.paths);
  for (const task of tasks) {
    const spec = readWaitSpec(task.wait_condition);
    if (!spec) continue;
    if (spec.conditions.some((c) => c.type === 'message' || c.type === 'human-input')) {
      try {
        const park = parkedAt(task);
        messages.set(task.id, arrivedSince(store.list(task.id), park.at, park.by));
      } catch {
        // a malformed queue is reported by `wg msg list`; it wakes nobody
      }
    }
    for (const c of spec.conditions) {
      if (c.type !== 'file-changed') continue;
      try {
        mtimes.set(c.path, Math.floor(statSync(c.path).mtimeMs / 1000));
      } catch {
        // absent: no change yet (unless it existed at the wait, which its mtime_at_wait says)
        if (c.mtime_at_wait) mtimes.set(c.path, -1);
      }
    }
  }
  return { now, messages, mtimes };
}

export async function resumeWaiting(ctx: StepContext, now: Date): Promise<number> {
  const tasks = waiting(ctx);
  if (!tasks.length) return 0;
  // PostgreSQL: the queues of the parked tasks that wait for a message, read first (one query each).
  let queues: Map<string, Message[]> | undefined;
  if (ctx.messages) {
    queues = new Map();
    for (const t of tasks) {
      const spec = readWaitSpec(t.wait_condition);
      if (spec?.conditions.some((c) => c.type === 'message' || c.type === 'human-input')) queues.set(t.id, await ctx.messages.list(t.id).catch(() => []));
    }
  }
  const inputs = waitInputs(ctx, tasks, now, queues);
  const ids = tasks.map((t) => t.id);
  const r = await ctx.graph.mutate((g) => planResumeWaiting(g, inputs, serviceActor(now), ids), now);
  for (const x of r.resumed) ctx.events.emit('wait:resumed', { task: x.id, condition: x.condition });
  return r.resumed.length;
}

/** When the earliest timer of a parked task fires (ms), if any: the service wakes then. */
export function waitWakeMs(ctx: StepContext, nowMs: number): number | undefined {
  let next: number | undefined;
  for (const t of waiting(ctx)) {
    const ms = nextTimerMs(readWaitSpec(t.wait_condition), nowMs);
    if (ms !== undefined) next = Math.min(next ?? Infinity, ms);
  }
  return next;
}
