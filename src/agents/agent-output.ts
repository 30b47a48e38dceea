/**
 * Finding an agent's output: `wg agents log AGENT|TASK` and `wg show` name an agent or a task
 * (then its latest agent), and read `agents/<id>/output.log` — what the CLI printed (its JSON
 * events and its stderr) or, for a shell task, the command's own output.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentRecord, Registry } from '../store/registry.js';
import type { WgPaths } from '../store/paths.js';

/** The agent named, or the latest agent of the task named (by start time, then id). */
export function agentFor(reg: Registry, target: string): AgentRecord | undefined {
  const byId = reg.agents[target];
  if (byId) return byId;
  return latestAgentOf(reg, target);
}

export function latestAgentOf(reg: Registry, taskId: string): AgentRecord | undefined {
  let best: AgentRecord | undefined;
  for (const a of Object.values(reg.agents)) {
    if (a.task_id !== taskId) continue;
    if (!best || a.started_at > best.started_at || (a.started_at === best.started_at && Number(a.id.slice(6)) > Number(best.id.slice(6)))) best = a;
  }
  return best;
}

/** Where agent `id`'s output goes: `agents/<id>/output.log`. */
export const agentOutputPath = (paths: WgPaths, id: string): string => join(paths.agentsDir, id, 'output.log');
export const outputPathOf = (paths: WgPaths, a: AgentRecord): string => a.output_file ?? agentOutputPath(paths, a.id);

/** The file's bytes from `offset` (a tail: at most `max` bytes from the end when offset is undefined). */
export function readFrom(path: string, offset: number | undefined, max = 256 * 1024): { text: string; end: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { text: '', end: offset ?? 0 };
  }
  const start = offset ?? Math.max(0, size - max);
  if (size <= start) return { text: '', end: size < start ? 0 : start };
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return { text: buf.subarray(0, n).toString('utf8'), end: start + n };
  } finally {
    closeSync(fd);
  }
}
