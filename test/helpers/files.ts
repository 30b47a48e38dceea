/**
 * The files `wg` reads and writes, as tests see them: one record type per file kind — a task
 * line of graph.jsonl (`TaskLine`), an agent of service/registry.json (`AgentRecord`), a line
 * of service/daemon.log (`LogLine`), a line of log/operations.jsonl (`OperationLine`) — with
 * one reader and (where tests seed state) one writer each.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'vitest';

/** A line of graph.jsonl. */
export type TaskLine = Record<string, unknown> & {
  id: string;
  status: string;
  assigned?: string;
  claim_epoch?: number;
  retry_count?: number;
  paused?: boolean;
  log?: Array<{ timestamp: string; actor?: string; message: string }>;
};

/** An agent of service/registry.json. */
export interface AgentRecord {
  id: string;
  pid?: number;
  pgid?: number;
  proc_start?: string;
  host?: string;
  task_id: string;
  claim_epoch?: number;
  status: string;
  executor?: string;
  model?: string;
  started_at?: string;
  completed_at?: string;
  last_heartbeat?: string;
  exit_code?: number | null;
  exit_reason?: string;
  session_id?: string;
  token_usage?: Record<string, number>;
  [k: string]: unknown;
}

/** A line of service/daemon.log (pino JSON). */
export interface LogLine {
  event?: string;
  msg?: string;
  [k: string]: unknown;
}

/** A line of log/operations.jsonl. */
export interface OperationLine {
  timestamp: string;
  op: string;
  task_id?: string;
  actor?: string;
  user?: string;
  detail?: Record<string, unknown>;
  [k: string]: unknown;
}

// ---------------------------------------------------------------- graph.jsonl

/** The task lines of a graph.jsonl text (other kinds skipped). */
export function graphTasks(text: string): TaskLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => (o.kind ?? 'task') === 'task') as TaskLine[];
}

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

export type TaskSeed = Record<string, unknown> & { id: string };

/** A task as the tool writes one (created, logged), for seeding large graphs. */
export function seedTask(id: string, extra: Record<string, unknown> = {}): TaskSeed {
  return {
    id,
    title: `Seeded ${id}`,
    created_at: '2026-01-01T00:00:00.000Z',
    log: [{ timestamp: '2026-01-01T00:00:00.000Z', message: 'Task added', actor: 'seed' }],
    ...extra,
  };
}

/**
 * Writes graph.jsonl directly (faster than one `wg add` per task): each task gets kind, a title
 * (its id in capitals), status open and priority 10 unless given, and `before` derived from
 * `after`. Returns the text written.
 */
export function seedGraph(graphPath: string, tasks: TaskSeed[]): string {
  const before = new Map<string, string[]>();
  for (const t of tasks) for (const dep of (t.after as string[] | undefined) ?? []) before.set(dep, [...(before.get(dep) ?? []), t.id]);
  const text = tasks
    .map((t) => {
      const { id, ...rest } = t;
      const b = before.get(id);
      return JSON.stringify({ kind: 'task', id, title: id.toUpperCase(), status: 'open', priority: 10, ...(b ? { before: b } : {}), ...rest });
    })
    .join('\n');
  writeFileSync(graphPath, text + '\n');
  return text + '\n';
}

/** Temp files of the atomic writer (`graph.jsonl.<n>`) currently in the .wg directory. */
export function graphTemps(wgDir: string): string[] {
  return readdirSync(wgDir).filter((n) => n.startsWith('graph.jsonl.'));
}

/** Every log message in the graph, with how many times it occurs. */
export function logMessageCounts(tasks: Map<string, TaskLine>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tasks.values()) for (const e of t.log ?? []) counts.set(e.message, (counts.get(e.message) ?? 0) + 1);
  return counts;
}

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

// ---------------------------------------------------------------- log/operations.jsonl

/** The lines of `.wg/log/operations.jsonl`, each parsed (empty before the first; throws on a torn line). */
export function operations(wgDir: string): OperationLine[] {
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
        return JSON.parse(l) as OperationLine;
      } catch (e) {
        throw new Error(`operations.jsonl:${i + 1}: not JSON (${(e as Error).message}): ${l.slice(0, 200)}`);
      }
    });
}

// ---------------------------------------------------------------- service/registry.json

export const registryPath = (wgDir: string): string => join(wgDir, 'service', 'registry.json');

/** The agents of the registry (none when it does not exist yet). */
export function readRegistry(wgDir: string): Record<string, AgentRecord> {
  try {
    return (JSON.parse(readFileSync(registryPath(wgDir), 'utf8')) as { agents: Record<string, AgentRecord> }).agents;
  } catch {
    return {};
  }
}

/**
 * Writes the registry with the given agents. Each record is `{executor: shell, status: working,
 * claim_epoch: 1}` + `defaults` + the agent's own fields. The default `defaults` make an agent
 * of a long-gone process (PID 999999, started in January); pass `{host, started_at}` for a live
 * one. `next_agent_id` follows the highest id unless given.
 */
export function writeRegistry(
  wgDir: string,
  agents: Array<Partial<AgentRecord> & { id: string; task_id: string }>,
  opts: { defaults?: Partial<AgentRecord>; nextAgentId?: number } = {},
): string {
  const path = registryPath(wgDir);
  mkdirSync(join(wgDir, 'service'), { recursive: true });
  const defaults = opts.defaults ?? { pid: 999_999, started_at: '2026-01-01T00:00:00Z' };
  // Every record as wg writes one: with the fields the Rust tool requires (pid 0 = no process yet).
  const full = (a: Partial<AgentRecord>): Partial<AgentRecord> => ({ ...a, pid: a.pid ?? 0, last_heartbeat: a.last_heartbeat ?? a.started_at, output_file: a.output_file ?? '' });
  const reg = {
    agents: Object.fromEntries(agents.map((a) => [a.id, full({ executor: 'shell', status: 'working', claim_epoch: 1, ...defaults, ...a })])),
    next_agent_id: opts.nextAgentId ?? Math.max(0, ...agents.map((a) => Number(a.id.slice(6)))) + 1,
  };
  writeFileSync(path, JSON.stringify(reg, null, 2) + '\n');
  return path;
}

// ---------------------------------------------------------------- service/daemon.log

export const daemonLogPath = (wgDir: string): string => join(wgDir, 'service', 'daemon.log');

/** The JSON lines of daemon.log (the daemon's stderr lines, not JSON, are skipped). */
export function readDaemonLog(wgDir: string): LogLine[] {
  const path = daemonLogPath(wgDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

// ---------------------------------------------------------------- any file

/** Reads a file (e.g. written by an agent); undefined until it exists. */
export function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Removes a path, ignoring absence. */
export function rm(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
