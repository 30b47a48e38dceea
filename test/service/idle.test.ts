/**
 * An idle service costs nothing: with nothing changed, a tick reads no file at all (measured by
 * this process's read(2) byte counter, /proc/self/io `rchar`: the daemon runs in-process) and
 * does not take the dispatch decision again; a change by another process is picked up; a
 * supervised agent costs its /proc/<pid>/stat read and nothing else.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serviceHarness } from '../helpers/daemon.js';
import { openDescriptorsOf, waitFor } from '../helpers/proc.js';

const rchar = (): number => Number(/rchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

/** Bytes read by `fn`, net of reading the counter itself. */
async function bytesRead(fn: () => Promise<unknown>): Promise<number> {
  const a = rchar();
  const b = rchar();
  const overhead = b - a;
  await fn();
  const c = rchar();
  return c - b - overhead;
}

describe('an idle service', () => {
  const svc = serviceHarness();

  it('reads no file on a tick where nothing changed, and re-uses its dispatch decision', async () => {
    const p = svc.project({ dispatcher: { max_agents: 1 } });
    // Some of everything a tick looks at: a human claim, a time gate, a dependency, ready work.
    p.ok(['add', 'Mine', '--id', 'mine']);
    p.ok(['claim', 'mine', '--actor', 'alice']);
    p.ok(['add', 'Later', '--id', 'later', '--exec', 'true', '--not-before', '+1h']);
    p.ok(['add', 'After later', '--id', 'after', '--after', 'later', '--exec', 'true']);
    p.ok(['add', 'No exec', '--id', 'noexec']);
    p.ok(['service', 'pause']);
    const s = await svc.start(p);
    await s.daemon.tick();
    const first = await s.daemon.tick();
    expect(first.waiting).toEqual({ paused: 1 });

    for (let i = 0; i < 5; i++) {
      let summary: Awaited<ReturnType<typeof s.daemon.tick>> | undefined;
      const n = await bytesRead(async () => (summary = await s.daemon.tick()));
      expect(n, `tick ${i} read ${n} bytes`).toBe(0);
      expect(summary).toMatchObject({ decided: false, spawned: 0, reclaimed: 0, exits: 0 });
    }

    // A change by another process is seen (the watcher or the kick wakes the service, or this
    // tick); the decision is taken again only if it matters to it.
    const ticksAfter = (mark: number) => s.events.slice(mark).filter((e) => e.event === 'tick:done').map((e) => e.data as { decided: boolean; waiting: Record<string, number> });
    const after = async (args: string[]): Promise<Array<{ decided: boolean; waiting: Record<string, number> }>> => {
      const mark = s.events.length;
      expect((await p.wg(args)).code).toBe(0);
      await s.daemon.tick();
      return ticksAfter(mark);
    };
    // A new ready task: decided again.
    let ticks = await after(['add', 'Another', '--id', 'another', '--exec', 'true']);
    expect(ticks.some((t) => t.decided)).toBe(true);
    expect(ticks.at(-1)!.waiting).toEqual({ paused: 2 });
    // While paused, how a ready task would run does not matter; a log entry never does.
    for (const args of [['edit', 'noexec', '--exec', 'true'], ['log', 'noexec', 'a note']]) {
      ticks = await after(args);
      expect(ticks.length).toBeGreaterThan(0);
      expect(ticks.every((t) => !t.decided), args.join(' ')).toBe(true);
    }
    // Each of those writes replaced graph.jsonl: the service let go of every old file after its
    // tick (closing it frees the file's blocks: not left for the next tick).
    await waitFor('no replaced graph.jsonl held open', () => openDescriptorsOf(`${p.graphPath} (deleted)`) === 0);
    // Resumed: decided again, and both run.
    expect(s.daemon.handlers.resume()).toEqual({ ok: true, paused: false });
    await s.next('agent:spawned', { task: 'another' });
    await s.next('agent:spawned', { task: 'noexec' });
  });

  it('a supervised agent costs one small /proc read per tick', async () => {
    const p = svc.project();
    const s = await svc.start(p);
    await p.wg(['add', 'Long', '--id', 'long', '--exec', 'sleep 300']);
    await s.next('agent:spawned', { task: 'long' });
    await waitFor('the agent working', () => p.agents()['agent-1']?.status === 'working');
    await s.daemon.tick();
    const n = await bytesRead(() => s.daemon.tick());
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(1024);
  });
});
