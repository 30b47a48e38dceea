/**
 * Reads what an agent's JSON-lines output says about itself: the session id and the token
 * usage. Claude Code's stream-json: `{"type":"system","subtype":"init","session_id"}` and a
 * final `{"type":"result","usage":{…},"total_cost_usd"}`. Codex `exec --json`:
 * `{"type":"thread.started","thread_id"}` and `{"type":"turn.completed","usage":{…}}`.
 * Lines that are not JSON (stderr mixed in) are skipped.
 */
import { readFileSync } from 'node:fs';
import type { TokenUsage } from '../../core/task.js';

export interface StreamSummary {
  session_id?: string;
  token_usage?: TokenUsage;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function summarizeStream(text: string): StreamSummary {
  const out: StreamSummary = {};
  const usage: TokenUsage = {};
  let sawUsage = false;
  const add = (k: keyof TokenUsage & string, v: unknown): void => {
    const n = num(v);
    if (n === undefined) return;
    usage[k] = ((usage[k] as number | undefined) ?? 0) + n;
    sawUsage = true;
  };
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(t) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (ev.type === 'system' && ev.subtype === 'init' && typeof ev.session_id === 'string') out.session_id = ev.session_id;
    if (ev.type === 'thread.started' && typeof ev.thread_id === 'string') out.session_id = ev.thread_id;
    if ((ev.type === 'result' || ev.type === 'turn.completed') && ev.usage && typeof ev.usage === 'object') {
      const u = ev.usage as Record<string, unknown>;
      add('input_tokens', u.input_tokens);
      add('output_tokens', u.output_tokens);
      add('cache_read_input_tokens', u.cache_read_input_tokens ?? u.cached_input_tokens);
      add('cache_creation_input_tokens', u.cache_creation_input_tokens);
      if (typeof ev.session_id === 'string') out.session_id ??= ev.session_id;
    }
    if (ev.type === 'result') add('cost_usd', ev.total_cost_usd);
  }
  if (sawUsage) out.token_usage = usage;
  return out;
}

export function summarizeStreamFile(path: string): StreamSummary {
  try {
    return summarizeStream(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}
