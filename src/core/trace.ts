/**
 * A task's attempts, from what was recorded (pure): the registry's agents for the task (the
 * service's attempts), claims by people or outside agents from the operations log, the task's
 * log entries, and the output tails the caller read. `wg trace show|export` renders it.
 */
import type { WgEvent } from './events.js';
import type { LogEntry, Task, TokenUsage } from './task.js';
import { parseTimestamp } from './time.js';

/** What the registry records of one agent (structural: the store's AgentRecord fits). */
export interface AgentRun {
  id: string;
  task_id: string;
  executor?: string | undefined;
  model?: string | undefined;
  started_at: string;
  completed_at?: string | undefined;
  status: string;
  exit_code?: number | null | undefined;
  pid?: number | undefined;
  [extra: string]: unknown;
}

export interface Attempt {
  n: number;
  agent: string;
  /** `service`: an agent the service spawned (registry); `claim`: a claim by a person or an outside agent. */
  via: 'service' | 'claim';
  executor: string | null;
  model: string | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  /** running, done, failed, dead (the registry's), or for a claim: how it ended (done, failed, released, …). */
  outcome: string;
  exit_code: number | null;
  failure_reason: string | null;
  tokens: TokenUsage | null;
  cost_usd: number | null;
  log: LogEntry[];
  output_tail: string[];
}

export interface Trace {
  task: { id: string; title: string; status: string; retry_count: number; failure_reason: string | null };
  attempts: Attempt[];
  totals: { input_tokens: number; output_tokens: number; cost_usd: number };
  /** The task's whole history from the event stream, oldest first. */
  events: WgEvent[];
}

const ms = (ts: string | null | undefined): number | undefined => (ts ? parseTimestamp(ts)?.getTime() ?? (Number.isNaN(Date.parse(ts)) ? undefined : Date.parse(ts)) : undefined);
const ENDING: Record<string, string> = { done: 'done', fail: 'failed', abandon: 'abandoned', unclaim: 'released', retry: 'released', requeue: 'released', reclaim: 'reclaimed', release: 'released', kill: 'killed', reset: 'reset' };

function failureFrom(e: WgEvent): string | undefined {
  const d = e.detail;
  for (const k of ['reason', 'error']) if (typeof d[k] === 'string' && d[k]) return d[k] as string;
  return undefined;
}

/** Builds the trace. `tails`: output lines per agent id (read by the caller); `now` ends a running attempt's duration. */
export function buildTrace(task: Task, agents: AgentRun[], events: WgEvent[], tails: Map<string, string[]>, now: Date): Trace {
  const mine = events.filter((e) => e.task === task.id).sort((a, b) => (ms(a.ts) ?? 0) - (ms(b.ts) ?? 0));
  const runs = agents.filter((a) => a.task_id === task.id);
  const known = new Set(runs.map((a) => a.id));
  type Draft = Omit<Attempt, 'n' | 'log' | 'duration_ms'>;
  const drafts: Draft[] = [];
  for (const a of runs) {
    const usage = (a.token_usage as TokenUsage | undefined) ?? null;
    const reason = typeof a.exit_reason === 'string' ? a.exit_reason : undefined;
    drafts.push({
      agent: a.id,
      via: 'service',
      executor: a.executor ?? null,
      model: a.model ?? task.model ?? null,
      started_at: a.started_at,
      ended_at: a.completed_at ?? null,
      outcome: a.status === 'starting' || a.status === 'working' ? 'running' : a.status,
      exit_code: a.exit_code ?? null,
      failure_reason: a.status === 'done' ? null : reason ?? null,
      tokens: usage,
      cost_usd: typeof usage?.cost_usd === 'number' ? usage.cost_usd : null,
      output_tail: tails.get(a.id) ?? [],
    });
  }
  // Claims the service did not spawn: each lasts until the next op that ends a claim.
  for (let i = 0; i < mine.length; i++) {
    const e = mine[i]!;
    if (e.name !== 'claim') continue;
    const who = String(e.detail.actor ?? e.actor ?? '?');
    if (known.has(who)) continue;
    const end = mine.slice(i + 1).find((x) => ENDING[x.name] || x.name === 'claim');
    const ending = end && end.name !== 'claim' ? end : undefined;
    drafts.push({
      agent: who,
      via: 'claim',
      executor: null,
      model: task.model ?? null,
      started_at: e.ts,
      ended_at: end?.ts ?? null,
      outcome: ending ? ENDING[ending.name]! : end ? 'superseded' : task.status === 'in-progress' ? 'running' : task.status,
      exit_code: null,
      failure_reason: ending && ending.name !== 'done' ? failureFrom(ending) ?? null : null,
      tokens: null,
      cost_usd: null,
      output_tail: [],
    });
  }
  drafts.sort((a, b) => (ms(a.started_at) ?? 0) - (ms(b.started_at) ?? 0));
  // A service attempt's failure reason: the task's own account when the attempt failed it.
  const attempts: Attempt[] = drafts.map((d, i) => {
    const start = ms(d.started_at) ?? 0;
    const nextStart = drafts[i + 1] ? ms(drafts[i + 1]!.started_at) : undefined;
    const end = ms(d.ended_at) ?? nextStart ?? now.getTime();
    let failure = d.failure_reason;
    if (d.via === 'service' && d.outcome !== 'done' && d.outcome !== 'running') {
      const ev = mine.find((e) => (ms(e.ts) ?? 0) >= start && (ms(e.ts) ?? 0) <= end + 5_000 && (e.name === 'fail' || e.name === 'reclaim' || e.name === 'spawn_failed') && (!e.agent || e.agent === d.agent));
      const why = ev ? failureFrom(ev) : undefined;
      if (why) failure = why;
      else if (!failure && i === drafts.length - 1 && task.failure_reason) failure = task.failure_reason;
    }
    const log = (task.log ?? []).filter((l) => {
      const t = ms(l.timestamp);
      return t !== undefined && t >= start && t <= (nextStart !== undefined ? Math.min(end, nextStart - 1) : end);
    });
    return { n: i + 1, ...d, failure_reason: failure, duration_ms: d.ended_at || d.outcome === 'running' ? Math.max(0, (ms(d.ended_at) ?? now.getTime()) - start) : null, log };
  });
  const totals = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
  for (const a of attempts) {
    totals.input_tokens += Number(a.tokens?.input_tokens ?? 0);
    totals.output_tokens += Number(a.tokens?.output_tokens ?? 0);
    totals.cost_usd += a.cost_usd ?? 0;
  }
  return {
    task: { id: task.id, title: task.title, status: task.status, retry_count: task.retry_count ?? 0, failure_reason: task.failure_reason ?? null },
    attempts,
    totals,
    events: mine,
  };
}
