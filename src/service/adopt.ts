/**
 * Tick step 1b: take in the agents an earlier service left behind, before liveness judges them
 * (exactly once through restarts, docs/service.md). For each local agent the registry calls
 * alive that this service neither watches nor is launching:
 * - no PID recorded (the earlier service died mid-spawn): the PID its wrapper wrote
 *   (`agents/<id>/pid`) is recorded and the agent adopted; without one the launch never
 *   happened, and the agent is dead ("spawn lost") — its task is re-queued by the reconciler;
 * - its process still runs: adopted (its exit is then seen by polling and read from its exit
 *   record);
 * - its process is gone but its wrapper left an exit record: the agent finished while no
 *   service watched it. The exit is taken from the record and applied by the exits step like
 *   any other (exit 0 of a shell task → done), never judged a death, never re-run.
 * Agents with neither a process nor a record died with their wrapper: liveness declares them
 * dead (assess) and the reconciler re-queues their tasks.
 * In a running service every local agent is watched, so this step reads nothing.
 */
import { join } from 'node:path';
import { declareLaunchLost, readExitRecord, readWrapperPid } from '../agents/exit-record.js';
import { procStartTime, sameProcess } from '../agents/process-table.js';
import { formatTimestamp, parseTimestamp } from '../core/time.js';
import { isAliveStatus, type AgentRecord } from '../store/registry.js';
import { deadlineFor } from './assess.js';
import type { StepContext } from './context.js';

export async function adoptLeftBehind(ctx: StepContext, now: Date): Promise<void> {
  const { supervisor } = ctx;
  const candidates = Object.values(ctx.registry.current().agents).filter(
    (a) => isAliveStatus(a.status) && (!a.host || a.host === ctx.host) && !supervisor.isWatched(a.id) && !supervisor.exitPending(a.id) && !supervisor.isLaunching(a.id),
  );
  if (!candidates.length) return;
  const found: Array<{ id: string; pid: number; procStart: string | undefined }> = [];
  const lost: string[] = [];
  for (const a of candidates) {
    if (a.pid !== undefined) continue;
    const dir = join(ctx.paths.agentsDir, a.id);
    const pid = readWrapperPid(dir);
    if (pid !== undefined) found.push({ id: a.id, pid, procStart: procStartTime(pid) });
    // No PID: lost only if we fence the wrapper out first (exit-record.ts); else it is writing its
    // PID right now, and the next tick adopts it.
    else if (declareLaunchLost(dir)) lost.push(a.id);
  }
  if (found.length || lost.length) {
    const stamp = formatTimestamp(now);
    await ctx.registry.update((r) => {
      for (const f of found) {
        const rec = r.agents[f.id];
        if (rec && rec.pid === undefined) Object.assign(rec, { pid: f.pid, pgid: f.pid, ...(f.procStart ? { proc_start: f.procStart } : {}), status: 'working', last_heartbeat: stamp });
      }
      for (const id of lost) {
        const rec = r.agents[id];
        if (rec && rec.pid === undefined && isAliveStatus(rec.status)) Object.assign(rec, { status: 'dead', completed_at: stamp, exit_reason: 'spawn lost: the service that was starting it stopped first' });
      }
    });
    for (const id of lost) ctx.events.emit('agent:dead', { agent: id, task: ctx.registry.current().agents[id]?.task_id ?? '?', reason: 'spawn lost' });
  }
  for (const a of Object.values(ctx.registry.current().agents)) {
    if (!candidates.some((c) => c.id === a.id) || !isAliveStatus(a.status) || a.pid === undefined) continue;
    adoptOne(ctx, a);
  }
}

function adoptOne(ctx: StepContext, a: AgentRecord): void {
  const alive = sameProcess(a.pid!, a.proc_start).alive;
  // Gone without a record: a death, for liveness to declare.
  if (!alive && !readExitRecord(join(ctx.paths.agentsDir, a.id))) return;
  const deadline = deadlineFor(ctx, a.task_id, parseTimestamp(a.started_at)?.getTime() ?? 0);
  if (ctx.supervisor.adopt(a.id, a.pid!, a.pgid ?? a.pid!, a.proc_start, deadline)) ctx.events.emit('agent:adopted', { agent: a.id, task: a.task_id, pid: a.pid! });
}
