/**
 * Which running agents the service stops, and why (pure; the service applies it by killing the
 * process groups):
 *   - task-terminal: the agent's task is done/failed/abandoned under its own claim. Usually the
 *     agent itself just ran `wg done` / `wg fail` and is about to exit (a Claude/Codex agent
 *     still prints its final result line, with the token usage), so it gets kill_grace to exit
 *     on its own first; killing it at once lost that usage and made every normal finish a kill.
 *     The same grace for an agent that parked its task (`wg wait`) or handed it back (`wg
 *     incomplete`): it released the claim itself and is about to exit — even when the task
 *     went on meanwhile (an incomplete task is re-dispatched at once): it is fenced out.
 *   - claim-lost: the task is gone, or held by someone else, or at another epoch (another
 *     process unclaimed, reset or re-claimed it) — unless it is done.
 */
import { holdsClaim } from '../claims.js';
import type { Graph } from '../graph.js';
import type { Plan } from '../plan.js';
import type { Task } from '../task.js';
import { PARKED_PREFIX } from '../wait.js';
import { INCOMPLETE_PREFIX } from './progress.js';
import { isTerminal } from '../transitions.js';

export interface RunningAgent {
  agent: string;
  task: string;
  /** The claim epoch the agent was spawned with (undefined for very old records). */
  epoch?: number | undefined;
}

export interface AgentStop {
  agent: string;
  task: string;
  reason: 'task-terminal' | 'claim-lost';
}

export interface StopResult {
  stop: AgentStop[];
  /** For the agents still given their grace: when the service first saw the task terminal (ms). */
  terminalSince: Record<string, number>;
  /** When the earliest grace runs out (ms), if any: the service wakes then. */
  wakeAtMs: number | undefined;
}

/** What an agent logs when it gives its task back itself: `wg wait` (and `--subtask`), `wg incomplete`. */
const HAND_BACK = [PARKED_PREFIX, INCOMPLETE_PREFIX];

/**
 * The agent gave its task back itself (its own last entry on the task is the hand-back), so its
 * claim moved because of it — whatever happened to the task since (re-dispatched at once after
 * `wg incomplete`, resumed, failed past max_retries). It is fenced out and leaving.
 */
export function handedBack(task: Task, agent: string): boolean {
  const log = task.log ?? [];
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (e.actor === agent) return HAND_BACK.some((p) => e.message.startsWith(p));
  }
  return false;
}

/** A plan that writes nothing and kills the agents to stop (applied through src/apply.ts). */
export function planStopAgents(graph: Graph, running: Iterable<RunningAgent>, nowMs: number, killGraceMs: number, terminalSince: Readonly<Record<string, number>>): Plan<StopResult> {
  const stop: AgentStop[] = [];
  const since: Record<string, number> = {};
  let wakeAtMs: number | undefined;
  for (const r of running) {
    // The whole task: claim_epoch is not a row field. One per running agent, so a handful.
    const task = graph.get(r.task);
    const claimMoved = !holdsClaim(task, r.agent, r.epoch);
    if (task && ((isTerminal(task.status) && task.assigned === r.agent) || (claimMoved && handedBack(task, r.agent)))) {
      const seen = terminalSince[r.agent] ?? nowMs;
      if (nowMs - seen < killGraceMs) {
        since[r.agent] = seen;
        wakeAtMs = Math.min(wakeAtMs ?? Infinity, seen + killGraceMs);
        continue;
      }
      stop.push({ agent: r.agent, task: r.task, reason: 'task-terminal' });
    } else if (claimMoved && task?.status !== 'done') {
      stop.push({ agent: r.agent, task: r.task, reason: 'claim-lost' });
    }
  }
  return { writes: [], ops: [], kills: stop.map((s) => ({ agent: s.agent, reason: s.reason })), result: { stop, terminalSince: since, wakeAtMs } };
}
