/**
 * The task model: field names and JSON types are the Rust tool's (SPEC §1), so a graph.jsonl
 * written by either tool is read by the other. Unknown fields stay on the object (index
 * signature) and are written back unchanged.
 */
import type { Status } from './transitions.js';

// The statuses and every status set live in transitions.ts (one place); re-exported here because
// they are part of the task model.
export { isStatus, isTerminal, STATUSES, TERMINAL_STATUSES, type Status } from './transitions.js';
// How a task is read from and written to a graph.jsonl line (task-line.ts), and the failure classes.
export { FIELD_ORDER, readTaskRecord, serializeTask } from './task-line.js';
export { FAILURE_CLASSES, type FailureClass } from './failure-class.js';


export interface LogEntry {
  timestamp: string;
  actor?: string;
  user?: string;
  message: string;
  [extra: string]: unknown;
}

export interface CycleConfig {
  max_iterations: number;
  guard?: unknown;
  delay?: string;
  no_converge?: boolean;
  [extra: string]: unknown;
}

export interface TokenUsage {
  cost_usd?: number;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  [extra: string]: unknown;
}

export interface Task {
  kind: 'task';
  id: string;
  title: string;
  description?: string;
  status: Status;
  priority: number;
  assigned?: string;
  before?: string[];
  after?: string[];
  tags?: string[];
  deliverables?: string[];
  artifacts?: string[];
  exec?: string;
  exec_mode?: string;
  model?: string;
  agent?: string;
  timeout?: string;
  not_before?: string;
  ready_after?: string;
  created_at?: string;
  started_at?: string;
  completed_at?: string;
  log?: LogEntry[];
  retry_count?: number;
  max_retries?: number;
  failure_reason?: string;
  failure_class?: string;
  paused?: boolean;
  cycle_config?: CycleConfig;
  loop_iteration?: number;
  token_usage?: TokenUsage;
  dispatch_count?: number;
  visibility?: string;
  claim_epoch?: number;
  // Fields of the Rust tool wg reads (it writes them only as given).
  /** Tasks that replace this abandoned one (`wg abandon --superseded-by`). */
  superseded_by?: string[];
  /** A cron task of the Rust tool: held until `next_cron_fire` (readiness). */
  cron_enabled?: boolean;
  next_cron_fire?: string;
  session_id?: string;
  [extra: string]: unknown;
}

export const isSystemId = (id: string): boolean => id.startsWith('.');
export const isAgentActor = (actor: string | undefined): boolean => !!actor && /^agent-\d+$/.test(actor);

/** Returns a copy of the task with `patch` applied; `undefined` values delete the field. */
export function withFields(task: Task, patch: Partial<Task>): Task {
  const next: Task = { ...task };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return next;
}
