/**
 * Shared plumbing for the concurrency tests: a registry of every process a test started (so
 * afterEach can SIGKILL the stragglers by PID), a strict parser for graph.jsonl, and seeding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'vitest';
import { wgSpawn, type WgSpawned } from '../helpers/wg.js';

/** Every child a test started; `killAll()` in afterEach/finally kills whatever still runs. */
export class Procs {
  private readonly live = new Set<ChildProcess>();

  wg(cwd: string, args: string[], env: Record<string, string | undefined> = {}): WgSpawned {
    const s = wgSpawn(cwd, args, env);
    this.track(s.child);
    return s;
  }

  /** A plain node script (imports nothing from the project), e.g. a raw reader loop. */
  node(script: string, args: string[], cwd: string): { child: ChildProcess; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, ['-e', script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.track(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
      child.on('error', rej);
      child.on('close', (code) => res({ code, stdout, stderr }));
    });
    return { child, result };
  }

  private track(child: ChildProcess): void {
    this.live.add(child);
    child.on('exit', () => this.live.delete(child));
  }

  get running(): number {
    return this.live.size;
  }

  /** SIGKILLs (by PID) every tracked child that has not exited, and waits for them. */
  async killAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const child of this.live) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      waits.push(new Promise<void>((res) => child.once('exit', () => res())));
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(waits);
    this.live.clear();
  }
}

/** A task line as the tool writes it, for seeding large graphs fast. */
export function seedTask(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'task',
    id,
    title: `Seeded ${id}`,
    status: 'open',
    priority: 10,
    created_at: '2026-01-01T00:00:00.000Z',
    log: [{ timestamp: '2026-01-01T00:00:00.000Z', message: 'Task added', actor: 'seed' }],
    ...extra,
  });
}

/** Replaces graph.jsonl with the given lines (test setup, before any wg process runs). */
export function seedGraph(graphPath: string, lines: string[]): void {
  writeFileSync(graphPath, lines.map((l) => l + '\n').join(''));
}

export type TaskLine = Record<string, unknown> & { id: string; status?: string; log?: Array<{ message: string; actor?: string }> };

/**
 * Strict check of a graph.jsonl text: a complete file (ends with a newline), every line a JSON
 * object with an id, no id twice. Returns the tasks by id, in file order.
 */
export function strictParseGraph(text: string): Map<string, TaskLine> {
  expect(text.length === 0 || text.endsWith('\n'), 'graph.jsonl ends mid-line').toBe(true);
  const byId = new Map<string, TaskLine>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`graph.jsonl:${i + 1}: not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
    }
    if (typeof obj !== 'object' || obj === null || typeof (obj as { id?: unknown }).id !== 'string') throw new Error(`graph.jsonl:${i + 1}: not a task object: ${line.slice(0, 200)}`);
    const t = obj as TaskLine;
    if (byId.has(t.id)) throw new Error(`graph.jsonl:${i + 1}: duplicate id '${t.id}'`);
    byId.set(t.id, t);
  });
  return byId;
}

export function readGraphStrict(graphPath: string): Map<string, TaskLine> {
  return strictParseGraph(readFileSync(graphPath, 'utf8'));
}

/** Temp files of the atomic writer (`graph.jsonl.<n>`) currently in the .wg directory. */
export function graphTemps(wgDir: string): string[] {
  return readdirSync(wgDir).filter((n) => n.startsWith('graph.jsonl.'));
}

/** Lines of operations.jsonl, each parsed (throws on a torn line). */
export function operations(wgDir: string): Array<{ op: string; task_id?: string; actor?: string; detail?: Record<string, unknown> }> {
  let text: string;
  try {
    text = readFileSync(join(wgDir, 'log', 'operations.jsonl'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  expect(text.length === 0 || text.endsWith('\n'), 'operations.jsonl ends mid-line').toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as { op: string; task_id?: string };
      } catch (e) {
        throw new Error(`operations.jsonl:${i + 1}: not JSON (${(e as Error).message}): ${l.slice(0, 200)}`);
      }
    });
}

/** Every log message in the graph, with how many times it occurs. */
export function logMessageCounts(tasks: Map<string, TaskLine>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tasks.values()) for (const e of t.log ?? []) counts.set(e.message, (counts.get(e.message) ?? 0) + 1);
  return counts;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, op: 'exnb' | 'un'): void };

/** True when an exclusive flock on `path` can be taken right now (then it is dropped again). */
export function lockIsFree(path: string): boolean {
  const fd = openSync(path, 'a+');
  try {
    fsExt.flockSync(fd, 'exnb');
    fsExt.flockSync(fd, 'un');
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw e;
  } finally {
    closeSync(fd);
  }
}
