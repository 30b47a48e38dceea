/**
 * What an agent's output says about its run (pure; the formats are pinned by the real captures
 * in test/fixtures/agent-output/). The service's output.log holds the CLI's stdout and stderr
 * interleaved: JSON lines are the CLI's events, anything else is stderr (or, for the shell
 * executor, the command's own output).
 *
 * Claude Code (`--print --verbose --output-format stream-json`):
 * - `{"type":"system","subtype":"init","session_id","model"}` opens each turn;
 * - `{"type":"result", …}` closes each turn. A session can hold several (a background task or
 *   subagent that finishes later starts another turn). Each carries RUNNING TOTALS for the
 *   session: `total_cost_usd`, and `modelUsage` keyed by model id with every model the session
 *   used (subagents included). `usage` covers only the main loop's last turn. So the numbers
 *   come from the LAST result, never a sum over results.
 * - An API failure is still `subtype:"success"` with `is_error:true` and the message in
 *   `result` (e.g. "API Error: 529 Overloaded …", "Not logged in"); other failures have an
 *   `error_*` subtype and `errors: string[]`. While it retries it prints
 *   `{"type":"system","subtype":"api_retry","attempt","max_retries","error_status","error"}`.
 * - As root without IS_SANDBOX=1 it prints one stderr line and exits 1 before any event.
 *
 * Codex (`exec --json`): `thread.started.thread_id`, then per turn `turn.completed.usage`
 * (`input_tokens` INCLUDING cached and cache-written ones, `cached_input_tokens`,
 * `cache_write_input_tokens`, `output_tokens` including reasoning, `reasoning_output_tokens`)
 * or `turn.failed.error.message`; `{"type":"error","message"}` events report retries
 * ("Reconnecting... 1/5 (…)") and the final error.
 *
 * Token usage means the same for every executor (docs/service.md): `input_tokens` is input that
 * was neither read from nor written to the prompt cache (as Claude reports it), so
 * `input_tokens + cache_read_input_tokens + cache_creation_input_tokens` is all input.
 */
import { readFileSync } from 'node:fs';
import type { FailureClass } from '../../core/failure-class.js';
import type { TokenUsage } from '../../core/task.js';

export type ErrorSource = 'result' | 'turn.failed' | 'error-event' | 'api-retry' | 'root-refusal' | 'stderr';

export interface AgentReport {
  /** Claude's `session_id`, codex's `thread_id`. */
  session_id?: string;
  token_usage?: TokenUsage;
  /** The model the CLI says it used (claude only: codex does not print it). */
  model?: string;
  /** The agent's own account of why it failed, one line (with the fix, when one is known). */
  error_text?: string;
  error_source?: ErrorSource;
  /** The failure class an API error maps to (the Rust tool's classes): 400, 429, 5xx. */
  failure_class?: FailureClass;
  /** The stream shows the agent ran `wg done` / `wg fail` and the command succeeded. */
  reported?: 'done' | 'fail';
}

export interface ReadOptions {
  /** The output is a CLI's JSON lines (claude, codex): non-JSON lines are its stderr. */
  streamJson?: boolean;
}

/** The fix for Claude Code's refusal of `--permission-mode bypassPermissions` as root. */
export const ROOT_REFUSAL_FIX = 'run the service as a non-root user, or set IS_SANDBOX=1 in its environment if this machine is a disposable sandbox';
const ROOT_REFUSAL = /cannot be used with root\/sudo privileges/;
const MAX_ERROR_CHARS = 300;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

/** One readable line: whitespace collapsed, cut at MAX_ERROR_CHARS. */
export function oneLine(text: string, max = MAX_ERROR_CHARS): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Drops zero and missing counts (the Rust tool omits zeros). */
function compact(u: Record<string, number | undefined>): TokenUsage | undefined {
  const out: TokenUsage = {};
  for (const [k, v] of Object.entries(u)) if (v !== undefined && v !== 0) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/** Tokens from Claude's `modelUsage` (every model, subagents included), summed across models. */
export function usageFromModelUsage(modelUsage: unknown): Record<string, number> | undefined {
  if (!isObj(modelUsage)) return undefined;
  const sum = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0 };
  let any = false;
  for (const m of Object.values(modelUsage)) {
    if (!isObj(m)) continue;
    any = true;
    sum.input_tokens += num(m.inputTokens) ?? 0;
    sum.output_tokens += num(m.outputTokens) ?? 0;
    sum.cache_read_input_tokens += num(m.cacheReadInputTokens) ?? 0;
    sum.cache_creation_input_tokens += num(m.cacheCreationInputTokens) ?? 0;
    sum.cost_usd += num(m.costUSD) ?? 0;
  }
  return any ? sum : undefined;
}

/**
 * The model behind a `modelUsage` map: the one that produced the most output (the main loop,
 * not a small helper model), ties to the first listed.
 */
export function modelFromModelUsage(modelUsage: unknown): string | undefined {
  if (!isObj(modelUsage)) return undefined;
  let best: string | undefined;
  let bestOut = -1;
  for (const [name, m] of Object.entries(modelUsage)) {
    const out = isObj(m) ? (num(m.outputTokens) ?? 0) : 0;
    if (out > bestOut) [best, bestOut] = [name, out];
  }
  return best;
}

function claudeTokens(result: Json): TokenUsage | undefined {
  const fromModels = usageFromModelUsage(result.modelUsage);
  const u = isObj(result.usage) ? result.usage : undefined;
  const counts = fromModels
    ? { input_tokens: fromModels.input_tokens, output_tokens: fromModels.output_tokens, cache_read_input_tokens: fromModels.cache_read_input_tokens, cache_creation_input_tokens: fromModels.cache_creation_input_tokens }
    : u
      ? { input_tokens: num(u.input_tokens), output_tokens: num(u.output_tokens), cache_read_input_tokens: num(u.cache_read_input_tokens), cache_creation_input_tokens: num(u.cache_creation_input_tokens) }
      : {};
  const cost = num(result.total_cost_usd) ?? (fromModels ? fromModels.cost_usd : undefined);
  return compact({ cost_usd: cost, ...counts });
}

/** Codex's per-turn usage mapped to Claude's meaning of each field (module comment). */
export function codexTokens(u: Json): Record<string, number> {
  const input = num(u.input_tokens) ?? 0;
  const cached = num(u.cached_input_tokens) ?? 0;
  const written = num(u.cache_write_input_tokens) ?? 0;
  return { input_tokens: Math.max(0, input - cached - written), output_tokens: num(u.output_tokens) ?? 0, cache_read_input_tokens: cached, cache_creation_input_tokens: written };
}

/** `wg done ID` / `wg fail ID …` in a shell command line (word-bounded, any path to wg). */
export function wgReportIn(command: string): 'done' | 'fail' | undefined {
  let found: 'done' | 'fail' | undefined;
  for (const m of command.matchAll(/(?:^|[\s;&|('"/])wg\s+(done|fail)\b/g)) found = m[1] as 'done' | 'fail';
  return found;
}

function claudeErrorText(result: Json): string | undefined {
  const errors = Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string' && e.trim() !== '') : [];
  const subtype = str(result.subtype);
  if (result.is_error === true) return str(result.result) ?? (errors.length ? errors.join('; ') : `Claude Code reported an error (${subtype ?? 'result'})`);
  if (subtype && subtype !== 'success') return errors.length ? `${subtype}: ${errors.join('; ')}` : subtype;
  return undefined;
}

/** The report on an agent's output text (see the module comment for the formats). */
export function readAgentOutput(text: string, opts: ReadOptions = {}): AgentReport {
  const out: AgentReport = {};
  let lastResult: Json | undefined;
  let initModel: string | undefined;
  let lastRetry: Json | undefined;
  let turnFailed: string | undefined;
  let errorEvent: string | undefined;
  const codexTotals: Record<string, number> = {};
  let sawCodexUsage = false;
  const plain: string[] = [];
  // Claude: tool_use ids of Bash calls that ran wg done/fail, until their tool_result arrives.
  const pendingReports = new Map<string, 'done' | 'fail'>();

  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    let ev: Json | undefined;
    if (t.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(t);
        ev = isObj(parsed) ? parsed : undefined;
      } catch {
        ev = undefined;
      }
    }
    if (!ev || typeof ev.type !== 'string') {
      plain.push(t);
      continue;
    }
    switch (ev.type) {
      case 'system':
        if (ev.subtype === 'init') {
          out.session_id = str(ev.session_id) ?? out.session_id;
          initModel = str(ev.model) ?? initModel;
        } else if (ev.subtype === 'api_retry') lastRetry = ev;
        break;
      case 'result':
        lastResult = ev;
        out.session_id = str(ev.session_id) ?? out.session_id;
        break;
      case 'assistant':
      case 'user': {
        const msg = isObj(ev.message) ? ev.message : undefined;
        for (const c of Array.isArray(msg?.content) ? (msg.content as unknown[]) : []) {
          if (!isObj(c)) continue;
          if (c.type === 'tool_use' && c.name === 'Bash' && isObj(c.input) && typeof c.input.command === 'string' && typeof c.id === 'string') {
            const r = wgReportIn(c.input.command);
            if (r) pendingReports.set(c.id, r);
          } else if (c.type === 'tool_result' && typeof c.tool_use_id === 'string') {
            const r = pendingReports.get(c.tool_use_id);
            if (r && c.is_error !== true) out.reported = r;
            pendingReports.delete(c.tool_use_id);
          }
        }
        break;
      }
      case 'thread.started':
        out.session_id = str(ev.thread_id) ?? out.session_id;
        break;
      case 'turn.completed':
        if (isObj(ev.usage)) {
          sawCodexUsage = true;
          for (const [k, v] of Object.entries(codexTokens(ev.usage))) codexTotals[k] = (codexTotals[k] ?? 0) + v;
        }
        break;
      case 'turn.failed':
        turnFailed = (isObj(ev.error) ? str(ev.error.message) : undefined) ?? 'turn failed';
        break;
      case 'error':
        errorEvent = str(ev.message) ?? errorEvent;
        break;
      case 'item.completed': {
        const item = isObj(ev.item) ? ev.item : undefined;
        if (item?.type === 'command_execution' && typeof item.command === 'string' && item.exit_code === 0) {
          const r = wgReportIn(item.command);
          if (r) out.reported = r;
        }
        break;
      }
      default:
        break;
    }
  }

  const apiStatus = lastResult && lastResult.is_error === true ? num(lastResult.api_error_status) : undefined;
  // The Rust tool's on-disk spellings (core/failure-class.ts).
  const cls: FailureClass | undefined = apiStatus === undefined ? undefined : apiStatus === 400 ? 'api-error400-document' : apiStatus === 429 ? 'api-error429-rate-limit' : apiStatus >= 500 ? 'api-error5xx-transient' : undefined;
  if (cls) out.failure_class = cls;
  if (lastResult) {
    const tokens = claudeTokens(lastResult);
    if (tokens) out.token_usage = tokens;
  } else if (sawCodexUsage) {
    const tokens = compact(codexTotals);
    if (tokens) out.token_usage = tokens;
  }
  const model = initModel ?? (lastResult ? modelFromModelUsage(lastResult.modelUsage) : undefined);
  if (model && model !== '<synthetic>') out.model = model;

  const refusal = plain.find((l) => ROOT_REFUSAL.test(l));
  const resultError = lastResult ? claudeErrorText(lastResult) : undefined;
  const meaningful = plain.filter((l) => !/^WARNING:/.test(l));
  const lastPlain = (opts.streamJson === false ? plain : meaningful.length ? meaningful : plain).at(-1);
  const pick: Array<[ErrorSource, string | undefined]> = [
    ['root-refusal', refusal ? `claude refused to run as root ("${oneLine(refusal, 160)}"): ${ROOT_REFUSAL_FIX}` : undefined],
    ['result', resultError],
    ['turn.failed', turnFailed],
    ['error-event', turnFailed || lastResult ? undefined : errorEvent],
    ['api-retry', lastResult || !lastRetry ? undefined : `API error ${String(lastRetry.error_status ?? '?')} (${String(lastRetry.error ?? 'unknown')}), still retrying: attempt ${String(lastRetry.attempt ?? '?')} of ${String(lastRetry.max_retries ?? '?')}`],
    // A clean result or turn means stderr holds no failure of the agent's own.
    ['stderr', (lastResult && !resultError) || (sawCodexUsage && !turnFailed) ? undefined : lastPlain],
  ];
  for (const [source, msg] of pick) {
    if (!msg) continue;
    out.error_text = source === 'root-refusal' ? msg : oneLine(msg);
    out.error_source = source;
    break;
  }
  return out;
}

/** The usage/session part, for callers that only record those (the service's exit handling). */
export function summarizeStream(text: string): Pick<AgentReport, 'session_id' | 'token_usage'> {
  const r = readAgentOutput(text, { streamJson: true });
  return { ...(r.session_id ? { session_id: r.session_id } : {}), ...(r.token_usage ? { token_usage: r.token_usage } : {}) };
}

/** readAgentOutput on a file; an unreadable file reads as empty output. */
export function readAgentOutputFile(path: string, opts: ReadOptions = {}): AgentReport {
  try {
    return readAgentOutput(readFileSync(path, 'utf8'), opts);
  } catch {
    return {};
  }
}

export function summarizeStreamFile(path: string): Pick<AgentReport, 'session_id' | 'token_usage'> {
  try {
    return summarizeStream(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}
