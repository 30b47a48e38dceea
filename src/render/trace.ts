/** `wg trace show ID`: a task's attempts, one block each. */
import type { Attempt, Trace } from '../core/trace.js';
import { formatAge } from '../core/time.js';

const dur = (ms: number | null): string => (ms === null ? '-' : ms < 1000 ? `${ms}ms` : formatAge(ms));
const n = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : '-');

function attemptLines(a: Attempt): string[] {
  const head = `Attempt ${a.n}: ${a.agent}${a.via === 'claim' ? ' (claim)' : ''} — ${a.outcome}`;
  const L = [head];
  L.push(`  executor ${a.executor ?? '-'}   model ${a.model ?? '-'}`);
  L.push(`  start ${a.started_at}   end ${a.ended_at ?? '-'}   duration ${dur(a.duration_ms)}${a.exit_code !== null ? `   exit ${a.exit_code}` : ''}`);
  if (a.failure_reason) L.push(`  failure: ${a.failure_reason}`);
  if (a.tokens) L.push(`  tokens: in ${n(a.tokens.input_tokens)}, out ${n(a.tokens.output_tokens)}, cache read ${n(a.tokens.cache_read_input_tokens)}${a.cost_usd !== null ? `   cost $${a.cost_usd.toFixed(4)}` : ''}`);
  if (a.log.length) {
    L.push('  log:');
    for (const l of a.log) L.push(`    ${l.timestamp}  ${l.actor ? `[${l.actor}] ` : ''}${l.message}`);
  }
  if (a.output_tail.length) {
    L.push('  output (tail):');
    for (const o of a.output_tail) L.push(`    | ${o}`);
  }
  return L;
}

export function traceLines(t: Trace): string[] {
  const L = [`${t.task.id}: ${t.task.title}`, `status ${t.task.status}${t.task.retry_count ? `, retried ${t.task.retry_count}×` : ''}${t.task.failure_reason ? `, failure: ${t.task.failure_reason}` : ''}`];
  if (!t.attempts.length) L.push('', 'No attempts recorded (never claimed).');
  for (const a of t.attempts) L.push('', ...attemptLines(a));
  const usage = t.attempts.some((a) => a.tokens) ? `tokens in ${n(t.totals.input_tokens)}, out ${n(t.totals.output_tokens)}; cost $${t.totals.cost_usd.toFixed(4)}` : 'no token usage recorded';
  L.push('', `${t.attempts.length} attempt(s); ${usage}`);
  return L;
}
