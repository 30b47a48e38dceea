/**
 * The event stream's one schema (docs/events.md). Two raw sources feed it: the operations log
 * (`log/operations.jsonl`, one line per graph mutation, written under the graph lock) and the
 * service's persisted typed events (`service/events.jsonl`, written by service/event-log.ts).
 * These pure functions turn one raw line of either into a `WgEvent` (or nothing, for lines that
 * say nothing a watcher wants, e.g. a service event the operations log already tells).
 * The cursor is attached by the reader (src/events/source.ts), not here.
 */
export type EventSourceName = 'graph' | 'service';

export type EventKind =
  | 'task.created'
  | 'task.changed'
  | 'task.message'
  | 'claim.reclaimed'
  | 'agent.spawned'
  | 'agent.adopted'
  | 'agent.exited'
  | 'agent.killed'
  | 'agent.dead'
  | 'agent.hung'
  | 'spawn.failed'
  | 'service.started'
  | 'service.stopped'
  | 'service.paused'
  | 'service.resumed'
  | 'service.error'
  | 'eval'
  | 'graph';

export interface WgEvent {
  /** RFC 3339 (the raw line's timestamp). */
  ts: string;
  source: EventSourceName;
  kind: EventKind;
  /** The raw operation (`claim`, `done`, …) or service event (`agent:exited`, …). */
  name: string;
  task?: string;
  agent?: string;
  /** The task's status after the event, when the event implies it. */
  status?: string;
  actor?: string;
  /** The raw detail / event data. */
  detail: Record<string, unknown>;
}

/** A WgEvent as the reader hands it out: with the cursor to resume after it. */
export interface CursoredEvent extends WgEvent {
  cursor: string;
}

/** The task status each operation leaves (when it implies one). */
const OP_STATUS: Record<string, string | ((d: Record<string, unknown>) => string | undefined)> = {
  add_task: 'open',
  claim: 'in-progress',
  spawn: 'in-progress',
  unclaim: 'open',
  done: (d) => (typeof d.status === 'string' ? d.status : 'done'),
  fail: 'failed',
  abandon: 'abandoned',
  retry: 'open',
  requeue: 'open',
  release: 'open',
  reclaim: (d) => (d.failed ? 'failed' : 'open'),
  spawn_failed: 'open',
  kill: (d) => (d.redispatch === false ? undefined : 'open'),
  eval_promote: 'done',
  eval_reject: 'failed',
};

const OP_KIND: Record<string, EventKind> = {
  add_task: 'task.created',
  log: 'task.message',
  reclaim: 'claim.reclaimed',
  spawn_failed: 'spawn.failed',
  scaffold_evaluation: 'eval',
  eval_promote: 'eval',
  eval_reject: 'eval',
  eval_rescue: 'eval',
};

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** One parsed line of operations.jsonl → its event (undefined: not an operation line). */
export function eventFromOperation(raw: unknown): WgEvent | undefined {
  const r = obj(raw);
  const op = str(r.op);
  const ts = str(r.timestamp);
  if (!op || !ts) return undefined;
  const detail = obj(r.detail);
  const task = str(r.task_id);
  const st = OP_STATUS[op];
  const status = typeof st === 'function' ? st(detail) : st;
  const agent = str(detail.agent) ?? (op === 'claim' ? str(detail.actor) : undefined);
  const kind: EventKind = OP_KIND[op] ?? (task ? 'task.changed' : 'graph');
  return { ts, source: 'graph', kind, name: op, ...(task ? { task } : {}), ...(agent ? { agent } : {}), ...(status ? { status } : {}), ...(str(r.actor) ? { actor: str(r.actor)! } : {}), detail };
}

/** The persisted service events and the kind each becomes; absent: not streamed. */
const SERVICE_KIND: Record<string, EventKind | ((d: Record<string, unknown>) => EventKind)> = {
  'service:started': 'service.started',
  'service:stopped': 'service.stopped',
  'service:paused': 'service.paused',
  'service:resumed': 'service.resumed',
  'tick:error': 'service.error',
  'agent:spawned': 'agent.spawned',
  'agent:adopted': 'agent.adopted',
  'agent:exited': 'agent.exited',
  'agent:killed': 'agent.killed',
  // An agent declared dead because it stopped answering (lease expired, stopped past its lease) is hung.
  'agent:dead': (d) => (/lease|stopped|heartbeat|hung/i.test(String(d.reason ?? '')) ? 'agent.hung' : 'agent.dead'),
  'spawn:failed': 'spawn.failed',
  'eval:scaffolded': 'eval',
  'eval:resolved': 'eval',
  // claim:reclaimed is not streamed from here: the operations log's `reclaim` tells it (also
  // when `wg sweep` reclaims without the service).
};

/** One parsed line of service/events.jsonl → its event (undefined: not streamed). */
export function eventFromServiceRecord(raw: unknown): WgEvent | undefined {
  const r = obj(raw);
  const name = str(r.event);
  const ts = str(r.ts);
  if (!name || !ts) return undefined;
  const k = SERVICE_KIND[name];
  if (!k) return undefined;
  const detail = obj(r.data);
  const kind = typeof k === 'function' ? k(detail) : k;
  const task = str(detail.task);
  const agent = str(detail.agent);
  return { ts, source: 'service', kind, name, ...(task ? { task } : {}), ...(agent ? { agent } : {}), detail };
}

/** What `--task ID` keeps: events about the task (or its evaluation companions). */
export function eventConcernsTask(e: WgEvent, id: string): boolean {
  if (e.task === id) return true;
  if (e.task && e.task.startsWith('.') && e.task.endsWith(`-${id}`)) return true;
  const tasks = e.detail.tasks;
  return Array.isArray(tasks) && tasks.includes(id);
}
