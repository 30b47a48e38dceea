/**
 * The event source (src/events/source.ts) on real files: the two sources merged in time order,
 * the cursor resuming exactly (no miss, no repeat) across reader restarts and rotations, torn
 * lines waiting, and follow() waking on a change.
 */
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventReader, cursorAtEnd, encodeCursor, parseCursor, readEvents, type CursoredEvent } from '../../src/events/source.js';
import { pathsFor, type WgPaths } from '../../src/store/paths.js';

let dir: string;
let paths: WgPaths;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wg-events-'));
  paths = pathsFor(join(dir, '.wg'));
  mkdirSync(paths.logDir, { recursive: true });
  mkdirSync(paths.serviceDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const t = (s: number): string => new Date(Date.UTC(2026, 10, 30, 8, 0, s)).toISOString();
const op = (s: number, o: string, task: string, detail: Record<string, unknown> = {}): void =>
  appendFileSync(paths.operations, JSON.stringify({ timestamp: t(s), op: o, task_id: task, actor: 'tester', detail }) + '\n');
const svc = (s: number, event: string, data: Record<string, unknown>): void => appendFileSync(paths.serviceEvents, JSON.stringify({ ts: t(s), event, data, pid: 1 }) + '\n');
const names = (es: CursoredEvent[]): string[] => es.map((e) => `${e.kind}:${e.task ?? ''}`);

describe('event source', () => {
  it('merges the operations log and the service events in time order, with the status each implies', () => {
    op(1, 'add_task', 'a', { title: 'A' });
    svc(2, 'service:started', { pid: 1 });
    op(3, 'spawn', 'a', { agent: 'agent-1', executor: 'shell', epoch: 1 });
    svc(3, 'agent:spawned', { agent: 'agent-1', task: 'a', pid: 9, executor: 'shell', epoch: 1 });
    svc(4, 'tick:error', { error: 'x' });
    op(5, 'done', 'a', { status: 'done' });
    svc(6, 'claim:reclaimed', { task: 'a' }); // told by the operations log's `reclaim`: not streamed
    const es = readEvents(paths, 'start');
    expect(names(es)).toEqual(['task.created:a', 'service.started:', 'task.changed:a', 'agent.spawned:a', 'service.error:', 'task.changed:a']);
    expect(es.map((e) => e.status ?? '-')).toEqual(['open', '-', 'in-progress', '-', '-', 'done']);
    expect(es[2]!.agent).toBe('agent-1');
  });

  it('resumes from any event’s cursor with nothing missed and nothing repeated', () => {
    for (let i = 0; i < 6; i++) {
      op(i * 2, 'log', `t${i}`, { message: `m${i}` });
      svc(i * 2 + 1, 'agent:killed', { agent: `agent-${i}`, task: `t${i}`, reason: 'manual' });
    }
    const all = readEvents(paths, 'start');
    expect(all).toHaveLength(12);
    for (let k = 0; k < all.length; k++) {
      const rest = new EventReader(paths, { from: all[k]!.cursor }).read();
      expect(rest.map((e) => e.ts + e.name)).toEqual(all.slice(k + 1).map((e) => e.ts + e.name));
    }
  });

  it("starts at the end by default and sees only what comes next; 'start' and a time read history", () => {
    op(1, 'add_task', 'old');
    const r = new EventReader(paths);
    expect(r.read()).toEqual([]);
    op(2, 'add_task', 'new');
    expect(names(r.read())).toEqual(['task.created:new']);
    expect(names(new EventReader(paths, { from: new Date(t(2)) }).read())).toEqual(['task.created:new']);
    expect(readEvents(paths, 'start')).toHaveLength(2);
  });

  it('waits for a line being appended (no torn line consumed)', () => {
    const r = new EventReader(paths, { from: 'start' });
    appendFileSync(paths.operations, `{"timestamp":"${t(1)}","op":"add_task","task_id":"a"`);
    expect(r.read()).toEqual([]);
    appendFileSync(paths.operations, '}\n');
    expect(names(r.read())).toEqual(['task.created:a']);
  });

  it('follows a rotation: the rest of the rotated file, then the new one', () => {
    op(1, 'add_task', 'a');
    const r = new EventReader(paths, { from: 'start' });
    expect(r.read()).toHaveLength(1);
    const saved = r.cursor;
    op(2, 'add_task', 'b');
    renameSync(paths.operations, join(paths.logDir, 'operations.2026-11-30T080002000Z.jsonl'));
    op(3, 'add_task', 'c');
    expect(names(r.read())).toEqual(['task.created:b', 'task.created:c']);
    // a reader restarted from the saved cursor finds the rotated file by its inode
    expect(names(new EventReader(paths, { from: saved }).read())).toEqual(['task.created:b', 'task.created:c']);
  });

  it('cursors round-trip and refuse garbage', () => {
    op(1, 'add_task', 'a');
    const c = cursorAtEnd(paths);
    expect(parseCursor(encodeCursor(c))).toEqual(c);
    expect(parseCursor('nope')).toBeUndefined();
    expect(() => new EventReader(paths, { from: 'c2.x' })).toThrow(/cursor/);
  });

  it('follow() delivers an append within 100 ms and stops on abort', async () => {
    const r = new EventReader(paths);
    const ac = new AbortController();
    const got: Array<{ e: CursoredEvent; at: number }> = [];
    const done = r.follow((e) => got.push({ e, at: performance.now() }), { signal: ac.signal, pollMs: 5000 });
    try {
      await new Promise((res) => setTimeout(res, 50));
      const before = performance.now();
      op(1, 'add_task', 'live');
      while (!got.length && performance.now() - before < 2000) await new Promise((res) => setTimeout(res, 2));
      expect(got.map((g) => g.e.task)).toEqual(['live']);
      expect(got[0]!.at - before).toBeLessThan(100);
    } finally {
      ac.abort();
      await done;
    }
  });
});

describe('event source with the service (in-process daemon)', () => {
  it("the service's typed events and the graph's operations arrive as one stream", async () => {
    const { serviceProject } = await import('../helpers/project.js');
    const { inProcessService } = await import('../helpers/daemon.js');
    const p = serviceProject();
    let s: Awaited<ReturnType<typeof inProcessService>> | undefined;
    try {
      s = await inProcessService(p);
      const wgPaths = pathsFor(p.wgDir);
      expect((await p.wg(['add', 'Quick', '--id', 'quick', '--exec', 'echo hi'])).code).toBe(0);
      await s.next('agent:exited', { task: 'quick' });
      const story = readEvents(wgPaths, 'start')
        .filter((e) => e.task === 'quick' || e.kind.startsWith('service.'))
        .map((e) => `${e.kind}${e.status ? `→${e.status}` : ''}`);
      expect(story).toEqual(['service.started', 'task.created→open', 'task.changed→in-progress', 'agent.spawned', 'task.changed→done', 'agent.exited']);
    } finally {
      await s?.stop();
      await p.cleanup();
    }
  });
});
