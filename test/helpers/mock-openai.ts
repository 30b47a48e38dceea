/**
 * A loopback OpenAI Responses API for the real Codex CLI (test/real-agents).
 *
 * The main loop is scripted by turns: a request whose `input` already holds N tool outputs
 * (`function_call_output`) gets turn N, so a retried request gets the same answer again. A
 * turn is a shell call (a `function_call` of whichever shell tool the request offers —
 * `exec_command` {cmd} in codex 0.171, `shell_command` {command} or `shell` {command: argv} in
 * other versions), a final assistant message, an HTTP error with the real error body, or a
 * stream that ends in `response.failed`. Answers stream as the real API does:
 * `response.created`, `response.in_progress`, `response.output_item.added`, the deltas
 * (`response.function_call_arguments.delta`/`.done`, `response.content_part.added`,
 * `response.output_text.delta`/`.done`, `response.content_part.done`),
 * `response.output_item.done`, then `response.completed` with the usage — every event with
 * its `sequence_number`.
 *
 * Anything but `POST /v1/responses` gets a 404 in the API's error shape. Every request is
 * recorded.
 */
import type { ServerResponse } from 'node:http';
import { mockId, sendJson, sendSse, startMockServer, type MockServer, type RecordedRequest } from './mock-http.js';

export interface ResponsesUsage {
  input_tokens: number;
  cached_tokens?: number;
  /** `input_tokens_details.cache_write_tokens` (codex reports it as `cache_write_input_tokens`). */
  cache_write_tokens?: number;
  output_tokens: number;
  reasoning_tokens?: number;
}

export type CodexTurn =
  /** A shell call running this command line (optionally after a commentary message). */
  | { shell: string; text?: string; usage?: ResponsesUsage; /** exec_command's `login` argument (the model asks for a login shell). */ login?: boolean }
  /** A final assistant message. */
  | { text: string; usage?: ResponsesUsage }
  /** An HTTP error with the real body shape (401 invalid_api_key, 429 insufficient_quota, 500/503 server_error). */
  | { error: number; message?: string }
  /** HTTP 200, then `response.failed` with this error inside the stream. */
  | { failed: string; code?: string };

export interface OpenAiMock extends MockServer {
  /** The `POST /v1/responses` requests, in order. */
  responseRequests(): RecordedRequest[];
  /** Every function_call_output codex sent back, in order. */
  toolOutputs(): Array<{ call_id: string; output: string }>;
  /** The shell tool the last request offered (`exec_command`, `shell_command`, `shell`). */
  shellTool(): string | undefined;
  unexpected(): RecordedRequest[];
}

/** The error body the real API sends: `{error:{message, type, param, code}}`. */
export function openAiErrorBody(status: number, message?: string): Record<string, unknown> {
  if (status === 401) return { error: { message: message ?? 'Incorrect API key provided: sk-mock***-key. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
  if (status === 429) return { error: { message: message ?? 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
  if (status === 404) return { error: { message: message ?? 'Not found', type: 'invalid_request_error', param: null, code: null } };
  return { error: { message: message ?? 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };
}

const DEFAULT_USAGE: ResponsesUsage = { input_tokens: 2400, cached_tokens: 2000, output_tokens: 40, reasoning_tokens: 12 };
const SHELL_TOOLS = ['exec_command', 'shell_command', 'shell'] as const;

interface ResponsesBody {
  model?: string;
  tools?: Array<{ type?: string; name?: string }>;
  input?: Array<{ type?: string; role?: string; call_id?: string; output?: unknown }>;
}

function shellToolOf(body: ResponsesBody): (typeof SHELL_TOOLS)[number] | undefined {
  const names = new Set((body.tools ?? []).map((t) => t.name));
  return SHELL_TOOLS.find((n) => names.has(n));
}

function shellArguments(tool: (typeof SHELL_TOOLS)[number], command: string, login: boolean | undefined): Record<string, unknown> {
  const l = login === undefined ? {} : { login };
  if (tool === 'exec_command') return { cmd: command, yield_time_ms: 10000, ...l };
  if (tool === 'shell_command') return { command, ...l };
  return { command: ['bash', '-lc', command] };
}

type Ev = { type: string } & Record<string, unknown>;

/** The events of one response, in the real order, numbered. */
export function responseEvents(model: string, items: Array<{ kind: 'message'; text: string } | { kind: 'call'; name: string; args: string }>, usage: ResponsesUsage): Ev[] {
  const id = mockId('resp_');
  const createdAt = Math.floor(Date.now() / 1000);
  const base = { id, object: 'response', created_at: createdAt, model, parallel_tool_calls: true, tool_choice: 'auto', store: false };
  const out: Ev[] = [{ type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } }, { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } }];
  const done: Array<Record<string, unknown>> = [];
  items.forEach((it, output_index) => {
    if (it.kind === 'message') {
      const item_id = mockId('msg_');
      out.push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
      out.push({ type: 'response.content_part.added', item_id, output_index, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      const mid = Math.ceil(it.text.length / 2);
      for (const delta of [it.text.slice(0, mid), it.text.slice(mid)]) if (delta) out.push({ type: 'response.output_text.delta', item_id, output_index, content_index: 0, delta, logprobs: [] });
      out.push({ type: 'response.output_text.done', item_id, output_index, content_index: 0, text: it.text, logprobs: [] });
      const part = { type: 'output_text', annotations: [], logprobs: [], text: it.text };
      out.push({ type: 'response.content_part.done', item_id, output_index, content_index: 0, part });
      const item = { id: item_id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
      out.push({ type: 'response.output_item.done', output_index, item });
      done.push(item);
    } else {
      const item_id = mockId('fc_');
      const call_id = mockId('call_');
      out.push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'function_call', status: 'in_progress', arguments: '', call_id, name: it.name } });
      const cut = Math.min(it.args.length, 10);
      for (const delta of [it.args.slice(0, cut), it.args.slice(cut)]) if (delta) out.push({ type: 'response.function_call_arguments.delta', item_id, output_index, delta });
      out.push({ type: 'response.function_call_arguments.done', item_id, output_index, arguments: it.args });
      const item = { id: item_id, type: 'function_call', status: 'completed', arguments: it.args, call_id, name: it.name };
      out.push({ type: 'response.output_item.done', output_index, item });
      done.push(item);
    }
  });
  const cached = usage.cached_tokens ?? 0;
  out.push({
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output: done,
      usage: { input_tokens: usage.input_tokens, input_tokens_details: { cached_tokens: cached, ...(usage.cache_write_tokens !== undefined ? { cache_write_tokens: usage.cache_write_tokens } : {}) }, output_tokens: usage.output_tokens, output_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 }, total_tokens: usage.input_tokens + usage.output_tokens },
    },
  });
  return out.map((e, sequence_number) => ({ ...e, sequence_number }));
}

function failedEvents(model: string, message: string, code: string): Ev[] {
  const base = { id: mockId('resp_'), object: 'response', created_at: Math.floor(Date.now() / 1000), model };
  return [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.failed', response: { ...base, status: 'failed', output: [], usage: null, error: { code, message } } },
  ].map((e, sequence_number) => ({ ...e, sequence_number }));
}

export async function startOpenAiMock(turns: CodexTurn[]): Promise<OpenAiMock> {
  const expected = new Set<RecordedRequest>();
  const server = await startMockServer((rec: RecordedRequest, res: ServerResponse) => {
    if (rec.method !== 'POST' || rec.path !== '/v1/responses' || typeof rec.json !== 'object' || rec.json === null) {
      sendJson(rec, res, 404, openAiErrorBody(404, `${rec.method} ${rec.path} is not mocked`), 'unmocked');
      return;
    }
    expected.add(rec);
    const body = rec.json as ResponsesBody;
    const model = body.model ?? 'gpt-mock';
    const headers = { 'x-request-id': mockId('req_') };
    const index = (body.input ?? []).filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output').length;
    const turn = turns[index];
    if (!turn) {
      sendSse(rec, res, responseEvents(model, [{ kind: 'message', text: `The mock has no turn ${index} scripted.` }], DEFAULT_USAGE), `unscripted-${index}`, headers);
      return;
    }
    if ('error' in turn) {
      sendJson(rec, res, turn.error, openAiErrorBody(turn.error, turn.message), `error:${turn.error}`, headers);
      return;
    }
    if ('failed' in turn) {
      sendSse(rec, res, failedEvents(model, turn.failed, turn.code ?? 'server_error'), `turn${index}:failed`, headers);
      return;
    }
    const items: Array<{ kind: 'message'; text: string } | { kind: 'call'; name: string; args: string }> = [];
    if (turn.text) items.push({ kind: 'message', text: turn.text });
    if ('shell' in turn) {
      const tool = shellToolOf(body);
      if (!tool) {
        sendJson(rec, res, 400, openAiErrorBody(400, `the request offered no shell tool (${(body.tools ?? []).map((t) => t.name ?? t.type).join(', ')})`), 'no-shell-tool');
        return;
      }
      items.push({ kind: 'call', name: tool, args: JSON.stringify(shellArguments(tool, turn.shell, turn.login)) });
    }
    sendSse(rec, res, responseEvents(model, items, turn.usage ?? DEFAULT_USAGE), 'shell' in turn ? `turn${index}:function_call` : `turn${index}:message`, headers);
  });
  const responseRequests = (): RecordedRequest[] => server.requests.filter((r) => r.path === '/v1/responses' && r.method === 'POST');
  return {
    ...server,
    responseRequests,
    toolOutputs() {
      const seen = new Map<string, { call_id: string; output: string }>();
      for (const r of responseRequests()) {
        for (const i of (r.json as ResponsesBody | undefined)?.input ?? []) {
          if (i.type !== 'function_call_output' || typeof i.call_id !== 'string') continue;
          const output = typeof i.output === 'string' ? i.output : JSON.stringify(i.output);
          seen.set(i.call_id, { call_id: i.call_id, output });
        }
      }
      return [...seen.values()];
    },
    shellTool() {
      const last = responseRequests().at(-1);
      return last ? shellToolOf(last.json as ResponsesBody) : undefined;
    },
    unexpected: () => server.requests.filter((r) => !expected.has(r)),
  };
}
