/**
 * Killing agents from the CLI (`retry`, `reset`, `agents kill`, `kill`): mark the agent dead in
 * the registry first (so the service reads its exit as deliberate, not as a crash), then
 * SIGTERM its process group and SIGKILL what is left after kill_grace (at once with force).
 */
import type { Kill } from '../core/plan.js';
import { formatTimestamp } from '../core/time.js';
import { isEndedStatus, readRegistry, updateRegistry } from '../store/registry.js';
import type { WgPaths } from '../store/paths.js';
import { killAgentGroup } from './process-table.js';

export interface KilledAgent {
  id: string;
  pid?: number;
  wasAlive: boolean;
}

export async function killAgents(paths: WgPaths, ids: string[], reason: string, opts: { graceMs: number; force?: boolean; now: Date }): Promise<KilledAgent[]> {
  if (!ids.length) return [];
  const before = readRegistry(paths);
  const targets: Array<{ id: string; pgid?: number; pid?: number; procStart?: string; wasAlive: boolean }> = ids.map((id) => {
    const a = before.agents[id];
    return { id, ...(a?.pid !== undefined ? { pid: a.pid, pgid: a.pgid ?? a.pid } : {}), ...(a?.proc_start ? { procStart: a.proc_start } : {}), wasAlive: !!a && !isEndedStatus(a.status) };
  });
  const stamp = formatTimestamp(opts.now);
  await updateRegistry(paths, (r) => {
    for (const t of targets) {
      const a = r.agents[t.id];
      if (a && !isEndedStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: reason });
    }
  });
  await Promise.all(targets.filter((t) => t.pgid !== undefined).map((t) => killAgentGroup(t.pid!, t.pgid!, t.procStart, opts.graceMs, { force: !!opts.force })));
  return targets.map((t) => ({ id: t.id, ...(t.pid !== undefined ? { pid: t.pid } : {}), wasAlive: t.wasAlive }));
}

/**
 * The CLI's Killer for the apply path (src/apply.ts): a plan's kills, grouped by reason and
 * force, each group through `killAgents`; results in the plan's order.
 */
export function registryKiller(paths: WgPaths, graceMs: number, now: () => Date): { kill(kills: readonly Kill[]): Promise<KilledAgent[]> } {
  return {
    async kill(kills) {
      const groups = new Map<string, { reason: string; force: boolean; ids: string[] }>();
      for (const k of kills) {
        const key = `${k.force ? 1 : 0}:${k.reason}`;
        const g = groups.get(key) ?? { reason: k.reason, force: !!k.force, ids: [] };
        if (!g.ids.includes(k.agent)) g.ids.push(k.agent);
        groups.set(key, g);
      }
      const done = await Promise.all([...groups.values()].map((g) => killAgents(paths, g.ids, g.reason, { graceMs, force: g.force, now: now() })));
      const byId = new Map(done.flat().map((k) => [k.id, k]));
      return [...new Set(kills.map((k) => k.agent))].map((id) => byId.get(id)!);
    },
  };
}
