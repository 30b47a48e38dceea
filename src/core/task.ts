/**
 * The task model: field names and JSON types are the Rust tool's (SPEC §1), so a graph.jsonl
 * written by either tool is read by the other. Unknown fields stay on the object (index
 * signature) and are written back unchanged.
 */
import type { Status } from './transitions.js';

// The statuses and every status set live in transitions.ts (one place); re-exported here because
// they are part of the task model.
export { isStatus, isTerminal, STATUSES, TERMINAL_STATUSES, type Status } from './transitions.js';

export const FAILURE_CLASSES = [
  'agent-exit-nonzero',
  'agent-hard-timeout',
  'agent-killed',
  'agent-died',
  'api-error-400-document',
  'api-error-429-rate-limit',
  'api-error-5xx-transient',
  'wrapper-internal',
  'manual',
  'eval-rejected',
] as const;

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
  [extra: string]: unknown;
}

/**
 * Emission order of known fields (the Rust struct order, so a line this tool rewrites looks
 * like one the Rust tool would write). Fields not listed here keep their original relative
 * order and follow the known ones.
 */
export const FIELD_ORDER = [
  'kind',
  'id',
  'title',
  'description',
  'status',
  'priority',
  'assigned',
  'estimate',
  'before',
  'after',
  'requires',
  'tags',
  'skills',
  'inputs',
  'deliverables',
  'artifacts',
  'exec',
  'timeout',
  'not_before',
  'created_at',
  'started_at',
  'completed_at',
  'last_interaction_at',
  'log',
  'retry_count',
  'max_retries',
  'failure_reason',
  'failure_class',
  'model',
  'agent',
  'loop_iteration',
  'cycle_config',
  'ready_after',
  'paused',
  'visibility',
  'exec_mode',
  'token_usage',
  'dispatch_count',
  'claim_epoch',
] as const;

/** Known fields that are omitted when null/empty/zero/false (SPEC §1). */
const OMIT_WHEN_EMPTY: ReadonlySet<string> = new Set(
  FIELD_ORDER.filter((f) => !['kind', 'id', 'title', 'status', 'priority'].includes(f)),
);
/** Optional numbers whose 0 means something (`max_retries: 0` = never re-queue): kept when 0. */
const ZERO_IS_A_VALUE: ReadonlySet<string> = new Set(['max_retries']);
const ORDER_INDEX = new Map<string, number>(FIELD_ORDER.map((f, i) => [f, i]));

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

/** One JSON line (no newline) for a task: canonical known-field order, unknown fields kept. */
export function serializeTask(task: Task): string {
  // Null prototype: an unknown "__proto__" key (JSON.parse makes it an own field) is then a
  // plain property that is written back, not a prototype change that silently drops it.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const keys = Object.keys(task);
  const known = keys.filter((k) => ORDER_INDEX.has(k)).sort((a, b) => ORDER_INDEX.get(a)! - ORDER_INDEX.get(b)!);
  if (!('kind' in task)) out.kind = 'task';
  for (const k of known) {
    const v = task[k];
    if (OMIT_WHEN_EMPTY.has(k) && isEmpty(v) && !(v === 0 && ZERO_IS_A_VALUE.has(k))) continue;
    out[k] = v;
  }
  for (const k of keys) {
    if (!ORDER_INDEX.has(k) && task[k] !== undefined) out[k] = task[k];
  }
  return JSON.stringify(out);
}

export const isSystemId = (id: string): boolean => id.startsWith('.');
/** An agent's actor id: `agent-` and a name (`agent-7`, `agent-zombie-1`); a claim by one absent from the registry is unknown, hence stale. */
export const isAgentActor = (actor: string | undefined): boolean => !!actor && /^agent-[A-Za-z0-9][A-Za-z0-9._-]*$/.test(actor);

/** Returns a copy of the task with `patch` applied; `undefined` values delete the field. */
export function withFields(task: Task, patch: Partial<Task>): Task {
  const next: Task = { ...task };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return next;
}
