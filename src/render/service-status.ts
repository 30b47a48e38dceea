/**
 * "Why is nothing running?" — one line per reason a ready task is not running, with the
 * command that fixes it (SPEC §5). Shared by `wg service status` online and offline.
 */
import type { DispatchDecision, WaitReason } from '../core/plans/dispatch.js';
import type { FailedBlocker } from '../core/blockers.js';
import type { Task } from '../core/task.js';

export interface Explanation {
  kind: WaitReason['kind'] | 'service-stopped' | 'backoff' | 'failed-dependency';
  tasks: string[];
  message: string;
  fix: string;
}

/** Tasks that are not ready because a task upstream failed: one line per failed task, with `wg retry`. */
export function explainFailedBlockers(blockers: FailedBlocker[]): Explanation[] {
  return blockers.map((b) => {
    const list = b.blocked.slice(0, 5).join(', ') + (b.blocked.length > 5 ? ` (+${b.blocked.length - 5})` : '');
    const why = b.failure_reason ? `: ${b.failure_reason}` : '';
    return { kind: 'failed-dependency', tasks: b.blocked, message: `${list} wait(s) on ${b.id}, which failed${why}`, fix: `wg retry ${b.id} (wg show ${b.id} for its log)` };
  });
}

export function explainWaiting(decision: DispatchDecision, opts: { running: boolean; backoff: Task[] }): Explanation[] {
  const groups = new Map<string, { reason: WaitReason; tasks: Task[] }>();
  for (const w of decision.waiting) {
    const key = w.reason.kind === 'executor-missing' ? `${w.reason.kind}:${w.reason.executor}` : w.reason.kind === 'stale-claim' ? `${w.reason.kind}:${w.task.id}` : w.reason.kind;
    const g = groups.get(key) ?? { reason: w.reason, tasks: [] };
    g.tasks.push(w.task);
    groups.set(key, g);
  }
  const out: Explanation[] = [];
  if (!opts.running && (decision.spawn.length || decision.waiting.length)) {
    const ids = [...decision.spawn.map((s) => s.task.id), ...decision.waiting.map((w) => w.task.id)];
    out.push({ kind: 'service-stopped', tasks: ids, message: `${ids.length} ready task(s), but the service is not running`, fix: 'wg service start' });
  }
  for (const { reason, tasks } of groups.values()) {
    const ids = tasks.map((t) => t.id);
    const list = ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` (+${ids.length - 5})` : '');
    switch (reason.kind) {
      case 'stale-claim':
        out.push({ kind: 'stale-claim', tasks: ids, message: `${list} is claimed by ${reason.agent}, which is ${reason.detail} (stale claim)`, fix: `wg unclaim ${ids[0]}, or wg sweep for every stale claim${opts.running ? " (the service's reconciler also clears it on its next tick)" : ''}` });
        break;
      case 'claimed':
        out.push({ kind: 'claimed', tasks: ids, message: `${list} is claimed by ${reason.holder}, who is not a service agent`, fix: `wg unclaim ${ids[0]} to let an agent take it` });
        break;
      case 'max-agents':
        out.push({ kind: 'max-agents', tasks: ids, message: `${list} wait(s) for a free slot: max_agents = ${reason.max} reached`, fix: 'raise [dispatcher] max_agents, or wg service restart --max-agents N' });
        break;
      case 'paused':
        out.push({ kind: 'paused', tasks: ids, message: `${list}: the dispatcher is paused`, fix: 'wg service resume' });
        break;
      case 'settling':
        out.push({ kind: 'settling', tasks: ids, message: `${list} changed moments ago (settling delay); spawning shortly`, fix: 'nothing to do' });
        break;
      case 'executor-missing':
        out.push({ kind: 'executor-missing', tasks: ids, message: `${list}: executor '${reason.executor}' cannot run: ${reason.detail}`, fix: `install it, or set [dispatcher] executor in .wg/config.toml (shell runs a task's --exec)` });
        break;
    }
  }
  if (opts.backoff.length) {
    const ids = opts.backoff.map((t) => t.id);
    out.push({ kind: 'backoff', tasks: ids, message: `${ids.slice(0, 5).join(', ')}: crash-loop backoff after repeated agent deaths (until ${opts.backoff[0]!.ready_after})`, fix: `wait, or wg edit ${ids[0]} and fix the cause; wg show ${ids[0]} has the deaths in its log` });
  }
  return out;
}
