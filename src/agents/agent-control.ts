/**
 * Killing agents from the CLI (`retry`, `reset`, `agents kill`, `kill`): mark the agent dead in
 * the registry first (so the service reads its exit as deliberate, not as a crash), then
 * SIGTERM its process group and SIGKILL what is left after kill_grace (at once with force).
 */
import { formatTimestamp } from '../core/time.js';
import { isAliveStatus, readRegistry, updateRegistry } from '../store/registry.js';
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
    return { id, ...(a?.pid !== undefined ? { pid: a.pid, pgid: a.pgid ?? a.pid } : {}), ...(a?.proc_start ? { procStart: a.proc_start } : {}), wasAlive: !!a && isAliveStatus(a.status) };
  });
  const stamp = formatTimestamp(opts.now);
  await updateRegistry(paths, (r) => {
    for (const t of targets) {
      const a = r.agents[t.id];
      if (a && isAliveStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: reason });
    }
  });
  await Promise.all(targets.filter((t) => t.pgid !== undefined).map((t) => killAgentGroup(t.pid!, t.pgid!, t.procStart, opts.graceMs, { force: !!opts.force })));
  return targets.map((t) => ({ id: t.id, ...(t.pid !== undefined ? { pid: t.pid } : {}), wasAlive: t.wasAlive }));
}
