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
  /** Its process group was signalled (false: it was gone, or its record failed the check). */
  signalled?: boolean;
  /**
   * Set when the agent's record does not provably name the process wg started (a corrupt or
   * hand-edited registry, a recycled PID with a bogus group …): it was marked dead and not
   * signalled. The reason is for the user.
   */
  notSignalled?: string;
  /** The host the agent runs on, when it is another than this one (PostgreSQL, pg-kill.ts). */
  host?: string;
  /** Asked of its host's service, which has not answered yet (the request stays). */
  pending?: boolean;
}

/**
 * Marks the agents dead, then kills the process groups their records provably name
 * (checkSignalTarget): a record that fails the check is treated as a dead agent — marked dead,
 * reported in `notSignalled`, never signalled.
 */
export async function killAgents(paths: WgPaths, ids: string[], reason: string, opts: { graceMs: number; force?: boolean; now: Date }): Promise<KilledAgent[]> {
  if (!ids.length) return [];
  const before = readRegistry(paths);
  const targets = ids.map((id) => {
    const a = Object.hasOwn(before.agents, id) ? before.agents[id] : undefined;
    return { id, record: a, wasAlive: !!a && !isEndedStatus(a.status) };
  });
  const stamp = formatTimestamp(opts.now);
  await updateRegistry(paths, (r) => {
    for (const t of targets) {
      const a = Object.hasOwn(r.agents, t.id) ? r.agents[t.id] : undefined;
      if (a && !isEndedStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: reason });
    }
  });
  const outcomes = await Promise.all(
    targets.map(async (t) => {
      const a = t.record;
      // No PID: never started: nothing to signal.
      if (!a || a.pid === undefined) return undefined;
      return killAgentGroup({ pid: a.pid, pgid: a.pgid ?? a.pid, procStart: a.proc_start }, opts.graceMs, { force: !!opts.force });
    }),
  );
  return targets.map((t, i) => ({
    id: t.id,
    ...(t.record?.pid !== undefined ? { pid: t.record.pid } : {}),
    wasAlive: t.wasAlive,
    signalled: !!outcomes[i]?.signalled,
    ...(outcomes[i]?.refused ? { notSignalled: outcomes[i]!.refused } : {}),
  }));
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
