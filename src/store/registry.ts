/**
 * The agent registry (`service/registry.json`, SPEC §4): which agent runs which task, its
 * process identity and its lease. Written atomically under its own flock; heartbeats land here
 * and never rewrite graph.jsonl (SPEC §1 rule 8). Lock order: registry lock, then graph lock.
 *
 * Shared with the Rust tool (docs/rust-compat.md §5): its statuses are read (core/agent-status.ts),
 * the lock is its `service/.registry.lock`, and every record is written with the fields it
 * requires — `pid` 0 until the process exists (read back as "no PID yet"), `last_heartbeat` the
 * start time until the first beat, `output_file` empty for a spawn that never ran.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { z } from 'zod/mini';
import { WgError } from '../core/errors.js';
import { removeOrphanTemps, writeFileDurable } from './atomic-write.js';
import { statBig, statKeyOf } from './file-identity.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';
import { describeIssue, valueAt } from './validation.js';

import { AGENT_STATUSES } from '../core/agent-status.js';
export { AGENT_STATUSES, isAliveStatus, isEndedStatus, isHeldStatus, type AgentStatus } from '../core/agent-status.js';

const str = z.optional(z.string());
export const agentRecordSchema = z.looseObject({
  id: z.string(),
  pid: z.optional(z.int()),
  pgid: z.optional(z.int()),
  proc_start: str,
  host: str,
  task_id: z.string(),
  claim_epoch: z.optional(z.int()),
  executor: str,
  model: str,
  started_at: z.string(),
  last_heartbeat: str,
  status: z.enum(AGENT_STATUSES),
  exit_code: z.optional(z.nullable(z.int())),
  completed_at: str,
  output_file: str,
});
export type AgentRecord = z.infer<typeof agentRecordSchema>;

export const registrySchema = z.looseObject({
  agents: z._default(z.record(z.string(), agentRecordSchema), {}),
  next_agent_id: z._default(z.int().check(z.positive()), 1),
});
export type Registry = z.infer<typeof registrySchema>;

export function readRegistry(paths: WgPaths): Registry {
  let text: string;
  try {
    text = readFileSync(paths.registry, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { agents: {}, next_agent_id: 1 };
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WgError('corrupt_graph', `${paths.registry}: invalid JSON (${(e as Error).message})`);
  }
  const r = registrySchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new WgError('corrupt_graph', `${paths.registry}: ${describeIssue(i, valueAt(raw, i.path))}`);
  }
  // PID 0 is how a record without a process yet is written (the Rust tool requires a pid).
  for (const a of Object.values(r.data.agents)) if (a.pid === 0) delete a.pid;
  return r.data;
}

/** The registry as written: every record with the fields the Rust tool requires (see above). */
export function registryText(reg: Registry): string {
  const agents = Object.fromEntries(
    Object.entries(reg.agents).map(([id, a]) => [id, { ...a, pid: a.pid ?? 0, executor: a.executor ?? 'unknown', last_heartbeat: a.last_heartbeat ?? a.started_at, output_file: a.output_file ?? '' }]),
  );
  return JSON.stringify({ ...reg, agents }, null, 2) + '\n';
}


/**
 * The registry for a long-lived reader (the service): re-read and re-validated only when the
 * file's stat (identity and ctime) changed — heartbeats rewrite it, so it changes while agents
 * run, but an idle service reads it not at all. Treat the result as read-only.
 */
export class RegistryView {
  private key = '';
  private cached: Registry = { agents: {}, next_agent_id: 1 };

  constructor(private readonly paths: WgPaths) {}

  get(): Registry {
    const st = statBig(this.paths.registry);
    const key = st ? statKeyOf(st) : 'missing';
    if (key !== this.key) {
      this.cached = readRegistry(this.paths);
      this.key = key;
    }
    return this.cached;
  }
}

/** Read-modify-write of the registry under `service/.registry.lock` (the Rust tool's lock). */
export async function updateRegistry<R>(paths: WgPaths, fn: (reg: Registry) => R): Promise<R> {
  mkdirSync(paths.serviceDir, { recursive: true });
  const lock = await acquireLock(paths.registryLock);
  try {
    // A writer killed between its temp file and the rename (an agent SIGKILLed mid-heartbeat)
    // leaves `registry.json.<n>`; holding the lock, no live writer owns one, so sweep them.
    removeOrphanTemps(paths.registry);
    const reg = readRegistry(paths);
    const result = fn(reg);
    writeFileDurable(paths.registry, registryText(reg));
    return result;
  } finally {
    lock.release();
  }
}
