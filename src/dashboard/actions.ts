/**
 * What a dashboard can do to a task. The dashboards only know this interface; the CLI
 * (src/cli/task-actions.ts) implements it with the very functions the commands run (`wg retry`,
 * `wg kill`, `wg unclaim`, `wg pause`/`resume`, `wg approve`, `wg reject`, `wg msg send`), so a key or a button takes the same planner and
 * the same apply path (write → kill → kick) as the command line.
 */
export const ACTION_NAMES = ['retry', 'kill', 'unclaim', 'pause', 'resume', 'approve', 'reject', 'message'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export interface ActionRequest {
  action: ActionName;
  task: string;
  /** reject's reason, message's text. */
  text?: string;
}

export interface DashboardActions {
  /** The actions this build can run (the others are shown as unavailable). */
  readonly available: ReadonlySet<ActionName>;
  /** Runs the action; resolves with the command's own output lines, rejects with its error. */
  run(req: ActionRequest): Promise<string[]>;
}

/** The question a dashboard asks before it acts. */
export function confirmText(req: ActionRequest, agent?: string): string {
  switch (req.action) {
    case 'kill':
      return agent ? `Kill ${agent} (working on '${req.task}')? Its task is released and paused.` : `'${req.task}' has no running agent to kill.`;
    case 'retry':
      return `Retry '${req.task}'? It is re-queued (its live agent, if any, is killed).`;
    case 'unclaim':
      return `Unclaim '${req.task}'? It goes back to open for anyone.`;
    case 'approve':
      return `Approve '${req.task}'? It is done (its worktree branch, if any, lands).`;
    case 'reject':
      return `Reject '${req.task}' with this reason? It re-opens for the next attempt (it fails after max_rejections).`;
    case 'message':
      return `Send this message to '${req.task}'?`;
    default:
      return `${req.action[0]!.toUpperCase()}${req.action.slice(1)} '${req.task}'?`;
  }
}

/** The text prompt of the actions that need one (reject's reason, message's text). */
export function promptText(action: 'reject' | 'message', task: string): string {
  return action === 'reject' ? `Reject '${task}' — reason (the next attempt reads it)` : `Message to '${task}'`;
}
