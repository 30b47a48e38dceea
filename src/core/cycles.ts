/**
 * `wg cycles`: each strongly connected component of the dependency graph (graph.ts, Tarjan),
 * whether it is configured as a loop (`cycle_config` on a member), its iteration, and what
 * would close it — the members the current iteration still waits for, and when the loop stops;
 * for an unconfigured cycle (which blocks its members: readiness.ts), the edit that resolves it.
 */
import type { Graph } from './graph.js';
import { SATISFYING_STATUSES } from './transitions.js';

export interface CycleReport {
  members: Array<{ id: string; status: string }>;
  header: string;
  configured: boolean;
  owner: string | null;
  iteration: number;
  max_iterations: number | null;
  delay: string | null;
  /** Members the current iteration still waits for (not done/abandoned). */
  waiting_on: string[];
  converged: boolean;
  /** Plain sentences: what closes this iteration, when the loop stops, or how to resolve it. */
  closes: string[];
}

export function cycleReports(graph: Graph): CycleReport[] {
  return graph.cycleAnalysis().cycles.map((c) => {
    const members = c.members.map((id) => ({ id, status: graph.peek(id)?.status ?? 'missing' }));
    const waiting = members.filter((m) => !SATISFYING_STATUSES.has(m.status as never)).map((m) => m.id);
    const owner = c.configOwner ? graph.get(c.configOwner) : undefined;
    const cfg = owner?.cycle_config;
    const converged = c.members.some((id) => (graph.peek(id)?.tags ?? []).includes('converged'));
    const closes: string[] = [];
    if (cfg) {
      const iteration = owner!.loop_iteration ?? 0;
      const max = cfg.max_iterations > 0 ? cfg.max_iterations : null;
      closes.push(waiting.length ? `iteration ${iteration} closes when ${waiting.join(', ')} ${waiting.length > 1 ? 'are' : 'is'} done` : `iteration ${iteration} is closed (every member done)`);
      if (converged && !cfg.no_converge) closes.push('the loop stops here: a member is tagged converged');
      else if (max !== null && iteration + 1 >= max) closes.push(`the loop stops after this iteration (max_iterations ${max})`);
      else closes.push(`then the members re-open for iteration ${iteration + 1}${max !== null ? ` of at most ${max}` : ''}, unless one is tagged converged (wg done --converged)`);
      return { members, header: c.header, configured: true, owner: owner!.id, iteration, max_iterations: max, delay: typeof cfg.delay === 'string' ? cfg.delay : null, waiting_on: waiting, converged, closes };
    }
    const back = (graph.peek(c.header)?.after ?? []).filter((d) => c.members.includes(d));
    closes.push('not configured: it blocks its members');
    closes.push(`resolve: make it a loop (wg edit ${c.header} --max-iterations N) or break it (${back.map((d) => `wg rm-dep ${c.header} ${d}`).join(' / ') || `wg rm-dep ${c.header} …`})`);
    return { members, header: c.header, configured: false, owner: null, iteration: 0, max_iterations: null, delay: null, waiting_on: waiting, converged, closes };
  });
}
