/**
 * The dashboards' actions (src/dashboard/actions.ts) for the CLI: each one is the command's own
 * function (`wg retry`, `wg kill`, `wg unclaim`, `wg pause`/`resume`, `wg approve`, `wg reject`,
 * `wg msg send`) — the same planner, the same apply path, the same output lines. Nothing here decides
 * anything about a task.
 */
import { usageError, WgError } from '../core/errors.js';
import type { ActionName, ActionRequest, DashboardActions } from '../dashboard/actions.js';
import { isAliveStatus, readRegistry } from '../store/registry.js';
import type { CliContext } from './context.js';

/** What a command's action returns: its --json value and its human lines. */
export interface ActionOutcome {
  json: unknown;
  lines: string[];
}

/** The running agent of a task, if any (the kill key acts on it). */
export function runningAgentOf(ctx: CliContext, taskId: string): string | undefined {
  const agents = Object.values(readRegistry(ctx.paths).agents).filter((a) => a.task_id === taskId && isAliveStatus(a.status));
  return agents.sort((a, b) => Number(b.id.slice(6)) - Number(a.id.slice(6)))[0]?.id;
}

export function cliActions(ctx: CliContext): DashboardActions {
  const available = new Set<ActionName>(['retry', 'kill', 'unclaim', 'pause', 'resume', 'approve', 'reject', 'message']);
  return {
    available,
    async run(req: ActionRequest): Promise<string[]> {
      if (!available.has(req.action)) throw new WgError('invalid_argument', `'${req.action}' is not available in this build`, { hint: 'the dashboards offer retry, kill, unclaim, pause, resume, approve, reject and message' });
      switch (req.action) {
        case 'retry':
          return (await (await import('./commands/retry.js')).retryTask(ctx, req.task, req.text)).lines;
        case 'unclaim':
          return (await (await import('./commands/unclaim.js')).unclaimTask(ctx, req.task, req.text)).lines;
        case 'pause':
          return (await (await import('./commands/pause.js')).pauseTask(ctx, req.task)).lines;
        case 'resume':
          return (await (await import('./commands/resume.js')).resumeTask(ctx, req.task)).lines;
        case 'approve':
          return (await (await import('./commands/approve.js')).approveTask(ctx, req.task)).lines;
        case 'reject':
          return (await (await import('./commands/reject.js')).rejectTask(ctx, req.task, req.text ?? '')).lines;
        case 'message':
          if (!req.text?.trim()) throw usageError('empty message', 'type the message to send');
          return (await (await import('./commands/msg.js')).sendMessage(ctx, req.task, req.text)).lines;
        case 'kill': {
          const agent = runningAgentOf(ctx, req.task);
          if (!agent) throw new WgError('invalid_transition', `'${req.task}' has no running agent`, { hint: "'wg agents' lists running agents" });
          return (await (await import('./commands/kill.js')).killAgent(ctx, agent)).lines;
        }
        default:
          throw new WgError('invalid_argument', `'${req.action}' is not available in this build`);
      }
    },
  };
}
