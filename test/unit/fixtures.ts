/**
 * Shared in-memory fixtures for the pure-core unit tests: a fixed clock, task builders and a
 * WgError matcher. Nothing here touches the disk or the real clock.
 */
import { expect } from 'vitest';
import { WgError, type ErrorCode } from '../../src/core/errors.js';
import { Graph } from '../../src/core/graph.js';
import type { Actor } from '../../src/core/plan.js';
import type { Task } from '../../src/core/task.js';

/** The injected "now" of every test. */
export const NOW = new Date('2026-03-20T12:00:00.000Z');
export const NOW_ISO = NOW.toISOString();
export const iso = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** A task with defaults (open, priority 10) and the given fields. */
export function task(id: string, patch: Partial<Task> = {}): Task {
  return { kind: 'task', id, title: `Title of ${id}`, status: 'open', priority: 10, ...patch };
}

/** Shorthand: a task depending on `after`. */
export const dep = (id: string, after: string[], patch: Partial<Task> = {}): Task => task(id, { after, ...patch });

export const graph = (...tasks: Task[]): Graph => new Graph(tasks);

export function who(patch: Partial<Actor> = {}): Actor {
  return { now: NOW, actor: 'alice', user: 'alice', ...patch };
}

/** An agent actor carrying the fencing triple (WG_AGENT_ID, WG_TASK_ID, WG_CLAIM_EPOCH). */
export function agent(agentId: string, fenceTaskId: string, fenceEpoch: number, patch: Partial<Actor> = {}): Actor {
  return { now: NOW, actor: agentId, user: 'svc', agentId, fenceTaskId, fenceEpoch, ...patch };
}

/** Runs `fn`, expects a WgError and returns it for further checks. */
export function wgError(fn: () => unknown, code: ErrorCode, exitCode?: number): WgError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a WgError to be thrown').toBeInstanceOf(WgError);
  const err = caught as WgError;
  expect(err.code).toBe(code);
  if (exitCode !== undefined) expect(err.exitCode).toBe(exitCode);
  return err;
}

/** The written copy of `id` in a plan's writes (fails if absent). */
export function written(writes: Task[], id: string): Task {
  const t = writes.find((w) => w.id === id);
  expect(t, `expected a write for '${id}'`).toBeDefined();
  return t!;
}

/** Applies writes to a graph (replace in place, append new), like the store does. */
export function apply(g: Graph, writes: Task[]): Graph {
  const replaced = new Map(writes.map((w) => [w.id, w]));
  const existing = g.all().map((t) => replaced.get(t.id) ?? t);
  const added = writes.filter((w) => !g.has(w.id));
  return new Graph([...existing, ...added]);
}
