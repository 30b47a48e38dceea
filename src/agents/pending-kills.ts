/**
 * Kills that follow a committed graph write (`wg retry`, `reset`, `kill`: the task is released,
 * then its agent is marked dead and its group killed). The graph commit is the point of truth
 * (issue 14): if the kill cannot be carried out after it — the registry cannot be written, the
 * command itself is killed — the change stands, the user is warned, and the kill must not be
 * lost. So the kills are recorded (`service/pending-kills/<pid>-<n>.json`) under the graph lock
 * before the commit, and removed once done; a record left by a command that is no longer
 * running is finished by the next recovery command.
 *
 * A record left by a write that never committed (killed between the record and the rename)
 * names an agent that still holds its claim at its epoch: the release never happened, so the
 * kill is dropped. Every kill a plan makes releases the agent's claim (claims.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { holdsClaim } from '../core/claims.js';
import type { Graph } from '../core/graph.js';
import type { Kill } from '../core/plan.js';
import { writeFileDurable } from '../store/atomic-write.js';
import type { WgPaths } from '../store/paths.js';
import { isAliveStatus, readRegistry } from '../store/registry.js';
import { processRunning } from './process-table.js';

interface PendingRecord {
  pid: number;
  kills: Kill[];
}

const dirOf = (paths: WgPaths): string => join(paths.serviceDir, 'pending-kills');
let counter = 0;

export interface PendingKills {
  /** Done (or abandoned because the write failed): remove the record. */
  clear(): void;
}

/** Records `kills` durably (call under the graph lock, before the commit). */
export function recordPendingKills(paths: WgPaths, kills: readonly Kill[]): PendingKills {
  const dir = dirOf(paths);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}-${++counter}.json`);
  const rec: PendingRecord = { pid: process.pid, kills: kills.map((k) => ({ agent: k.agent, reason: k.reason, ...(k.force ? { force: true } : {}) })) };
  writeFileDurable(file, JSON.stringify(rec) + '\n');
  return { clear: () => rmSync(file, { force: true }) };
}

export interface LeftoverKills {
  /** Kills to finish: their write committed (the agent no longer holds its claim) and the agent is still alive in the registry. */
  due: Kill[];
  /** Remove the records these kills came from (after carrying them out). */
  clear(): void;
}

/**
 * Records left by commands that are no longer running, resolved against the graph and the
 * registry as they are now. Unreadable records are dropped (they can only come from a crash
 * mid-write; the agent is then fenced by the new epoch anyway).
 */
export function leftoverKills(paths: WgPaths, graph: () => Graph): LeftoverKills | undefined {
  let names: string[];
  try {
    names = readdirSync(dirOf(paths)).filter((n) => /^\d+-\d+\.json$/.test(n));
  } catch {
    return undefined;
  }
  const files: string[] = [];
  const wanted: PendingRecord['kills'] = [];
  for (const n of names) {
    const file = join(dirOf(paths), n);
    let rec: PendingRecord | undefined;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as PendingRecord;
    } catch {
      rec = undefined;
    }
    if (rec && typeof rec.pid === 'number' && rec.pid !== process.pid && processRunning(rec.pid)) continue; // still in flight
    files.push(file);
    if (rec && Array.isArray(rec.kills)) wanted.push(...rec.kills.filter((k) => k && typeof k.agent === 'string' && typeof k.reason === 'string'));
  }
  if (!files.length) return undefined;
  const reg = readRegistry(paths);
  const g = wanted.length ? graph() : undefined;
  const due = wanted.filter((k) => {
    const a = Object.hasOwn(reg.agents, k.agent) ? reg.agents[k.agent] : undefined;
    if (!a || !isAliveStatus(a.status)) return false;
    return !holdsClaim(g!.get(a.task_id), a.id, a.claim_epoch);
  });
  return { due, clear: () => files.forEach((f) => rmSync(f, { force: true })) };
}
