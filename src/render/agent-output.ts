/**
 * An agent's output.log made readable (`wg agents log`, `wg show`): the claude and codex CLIs
 * print JSON events; each known event becomes one short line (what the model said, the command
 * it ran, how the turn ended), other JSON events are skipped, and plain lines (stderr, a shell
 * task's own output) are kept as they are. `raw` keeps every line untouched.
 */
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const cut = (s: string, n = 200): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

function claudeContent(ev: Json): string[] {
  const msg = isObj(ev.message) ? ev.message : undefined;
  const out: string[] = [];
  for (const c of Array.isArray(msg?.content) ? (msg.content as unknown[]) : []) {
    if (!isObj(c)) continue;
    if (c.type === 'text' && typeof c.text === 'string' && c.text.trim()) out.push(`» ${cut(c.text)}`);
    else if (c.type === 'tool_use') out.push(isObj(c.input) && typeof c.input.command === 'string' ? `$ ${cut(c.input.command)}` : `⚙ ${String(c.name)}`);
    else if (c.type === 'tool_result') {
      const text = typeof c.content === 'string' ? c.content : Array.isArray(c.content) ? (c.content as unknown[]).map((x) => (isObj(x) && typeof x.text === 'string' ? x.text : '')).join(' ') : '';
      if (text.trim()) out.push(`  ${c.is_error === true ? '✗ ' : ''}${cut(text)}`);
    }
  }
  return out;
}

/** One event → its readable lines (none for bookkeeping events). */
export function readableEvent(ev: Json): string[] {
  switch (ev.type) {
    case 'system':
      if (ev.subtype === 'init') return [`session ${String(ev.session_id ?? '?')} (${String(ev.model ?? '?')})`];
      if (ev.subtype === 'api_retry') return [`API error ${String(ev.error_status ?? '?')} (${String(ev.error ?? '?')}), retry ${String(ev.attempt ?? '?')}/${String(ev.max_retries ?? '?')}`];
      return [];
    case 'assistant':
    case 'user':
      return claudeContent(ev);
    case 'result':
      return [`result: ${ev.is_error === true ? 'error' : String(ev.subtype ?? '?')}${typeof ev.result === 'string' && ev.result.trim() ? ` — ${cut(ev.result)}` : ''}${typeof ev.total_cost_usd === 'number' ? ` ($${ev.total_cost_usd.toFixed(4)})` : ''}`];
    case 'thread.started':
      return [`session ${String(ev.thread_id ?? '?')}`];
    case 'item.completed': {
      const item = isObj(ev.item) ? ev.item : {};
      if (item.type === 'agent_message' && typeof item.text === 'string') return [`» ${cut(item.text)}`];
      if (item.type === 'command_execution' && typeof item.command === 'string') {
        const outText = typeof item.aggregated_output === 'string' ? item.aggregated_output.trim() : '';
        return [`$ ${cut(item.command)}${typeof item.exit_code === 'number' && item.exit_code !== 0 ? ` (exit ${item.exit_code})` : ''}`, ...(outText ? [`  ${cut(outText)}`] : [])];
      }
      return [];
    }
    case 'turn.failed':
      return [`turn failed: ${isObj(ev.error) ? String(ev.error.message ?? '?') : '?'}`];
    case 'error':
      return typeof ev.message === 'string' ? [`error: ${cut(ev.message)}`] : [];
    default:
      return [];
  }
}

export function readableOutput(text: string, opts: { raw?: boolean } = {}): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (opts.raw) return lines;
  const out: string[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('{')) {
      try {
        const ev: unknown = JSON.parse(t);
        if (isObj(ev) && typeof ev.type === 'string') {
          out.push(...readableEvent(ev));
          continue;
        }
      } catch {
        // not JSON after all: kept as it is
      }
    }
    out.push(line);
  }
  return out;
}

/** The last `n` readable lines. */
export const lastLines = (text: string, n: number, opts: { raw?: boolean } = {}): string[] => (n <= 0 ? [] : readableOutput(text, opts).slice(-n));
