/**
 * The dashboards' pure parts: the stuck-work rule's limit (items past it are counted, not
 * built), the TUI's lazy list (rows built only for the lines drawn; the snapshot's own array
 * when nothing filters), the status labels, and the inspector cut so the agent's tail shows.
 */
import { describe, expect, it } from 'vitest';
import { stuckWork } from '../../src/core/stuck.js';
import type { Task } from '../../src/core/task.js';
import type { AgentRow, DashboardSnapshot } from '../../src/dashboard/snapshot.js';
import { inspectorLines, STATUS_WIDTH, statusLabel, taskRows, windowOf } from '../../src/tui/view.js';
import { dep, graph, NOW, task } from './fixtures.js';

function snapshot(tasks: Task[], agents: AgentRow[] = []): DashboardSnapshot {
  const g = graph(...tasks);
  const stuck = stuckWork(g, new Map(), [], { hungAfterMs: 600_000 });
  return { version: 1, now: NOW, graph: g, tasks, counts: new Map(), agents, liveness: new Map(), stuck: stuck.items, stuckCounts: stuck.counts, service: { running: false }, recent: [] };
}

describe('stuckWork at scale', () => {
  it('lists at most maxPerKind of each kind (the first in file order) and counts all of them', () => {
    const tasks: Task[] = [];
    for (let i = 0; i < 250; i++) tasks.push(task(`f${i}`, { status: 'failed', failure_reason: `reason ${i}` }));
    for (let i = 0; i < 30; i++) tasks.push(dep(`b${i}`, [`f${i}`]));
    tasks.push(task('v', { status: 'pending-validation' }));
    const s = stuckWork(graph(...tasks), new Map(), [], { hungAfterMs: 1, maxPerKind: 100 });
    expect(s.counts).toEqual({ 'failed': 250, 'hung': 0, 'stale-claim': 0, 'blocked-by-failed': 30, 'waiting-human': 1 });
    const failed = s.items.filter((i) => i.kind === 'failed');
    expect(failed).toHaveLength(100);
    expect(failed[0]).toEqual({ kind: 'failed', task: 'f0', title: 'Title of f0', status: 'failed', why: 'reason 0 — retry to re-queue' });
    expect(failed[99]!.task).toBe('f99');
    expect(s.items.filter((i) => i.kind === 'blocked-by-failed')).toHaveLength(30);
    // Most urgent first: failed, then blocked behind failed, then waiting for a human.
    expect(s.items.map((i) => i.kind).lastIndexOf('failed')).toBeLessThan(s.items.findIndex((i) => i.kind === 'blocked-by-failed'));
    expect(s.items[s.items.length - 1]).toMatchObject({ kind: 'waiting-human', task: 'v', why: 'waits for approve/reject' });
  });
});

describe('the TUI list', () => {
  const many = Array.from({ length: 10_000 }, (_, i) => task(`t${i}`, { status: i % 10 === 0 ? 'done' : 'open', title: i === 4242 ? 'The needle' : `Task ${i}` }));
  const snap = snapshot(many);

  it('unfiltered, it is the snapshot itself: 10k long, a row is built when asked for', () => {
    const list = taskRows(snap, 'all', '');
    expect(list.length).toBe(10_000);
    expect(list.at(9_999)).toEqual({ id: 't9999', status: 'open', title: 'Task 9999', paused: false, assigned: undefined, prefix: '', note: undefined });
    expect(list.at(10_000)).toBeUndefined();
    expect(list.at(-1)).toBeUndefined();
  });

  it('a status filter and a search narrow it; the window keeps the selection on screen', () => {
    expect(taskRows(snap, 'done', '').length).toBe(1_000);
    expect(taskRows(snap, 'done', '').at(1)!.id).toBe('t10');
    const found = taskRows(snap, 'all', 'needle');
    expect(found.length).toBe(1);
    expect(found.at(0)!.id).toBe('t4242');
    expect(windowOf(10_000, 5_000, 30)).toEqual({ start: 4_985, end: 5_015 });
    expect(windowOf(10_000, 9_999, 30)).toEqual({ start: 9_970, end: 10_000 });
    expect(windowOf(10, 3, 30)).toEqual({ start: 0, end: 10 });
  });

  it('the stuck filter lists stuck items with their kind', () => {
    const s = snapshot([task('a', { status: 'failed', failure_reason: 'boom' }), dep('b', ['a']), task('c')]);
    const list = taskRows(s, 'stuck', '');
    expect(list.length).toBe(2);
    expect(list.at(0)).toMatchObject({ id: 'a', status: 'failed', note: 'boom — retry to re-queue' });
    expect(list.at(1)).toMatchObject({ id: 'b', note: "behind failed 'a'" });
  });

  it('status labels fit the column', () => {
    expect(statusLabel('pending-validation')).toBe('pending-valid');
    expect(statusLabel('failed-pending-eval')).toBe('failed-p-eval');
    expect(statusLabel('in-progress')).toBe('in-progress');
    for (const s of ['open', 'in-progress', 'waiting', 'blocked', 'done', 'failed', 'abandoned', 'pending-validation', 'pending-eval', 'failed-pending-eval', 'incomplete']) {
      expect(statusLabel(s).length + 2).toBeLessThanOrEqual(STATUS_WIDTH); // room for the paused mark and a space
    }
  });
});

describe('the inspector', () => {
  const agent: AgentRow = { id: 'agent-7', task: 'long', status: 'working', running: true, alive: true, startedAt: NOW.toISOString(), idleMs: 0, tail: ['line one', 'line two'] };
  const t = task('long', { status: 'in-progress', assigned: 'agent-7', log: Array.from({ length: 40 }, (_, i) => ({ timestamp: NOW.toISOString(), message: `entry ${i}` })) });

  it("cuts the page so the running agent's tail always shows, and says how much was cut", () => {
    const lines = inspectorLines(snapshot([t], [agent]), 'long', 20);
    expect(lines).toHaveLength(20);
    expect(lines.slice(-4)).toEqual(['', 'Agent agent-7 output:', '  line one', '  line two']);
    expect(lines[15]).toMatch(/^ {2}… \d+ more lines \(wg show long\)$/);
    expect(lines[0]).toBe('long');
  });

  it('shows the whole page when it fits, and a placeholder with no task', () => {
    const short = inspectorLines(snapshot([task('x')]), 'x', 100);
    expect(short.some((l) => l.includes('more lines'))).toBe(false);
    expect(short[0]).toBe('x');
    expect(inspectorLines(snapshot([task('x')]), undefined, 10)).toEqual(['(no task selected)']);
  });
});
