/**
 * A loopback Anthropic Messages API for the real Claude Code CLI (test/real-agents).
 *
 * The main loop is scripted by turns: a request whose `messages` already hold N assistant
 * messages gets turn N (so a retried request gets the same answer again). A turn is a Bash
 * `tool_use` (Claude Code runs it and sends the `tool_result` back in the next request), a
 * final text, or an HTTP error with the real error body. Answers stream as the real API does
 * (`message_start`, `content_block_start`/`ping`/`content_block_delta`/`content_block_stop`,
 * `message_delta` with the stop reason and usage, `message_stop`), or come as one JSON message
 * when the request says `"stream": false`.
 *
 * Requests that are not the main loop (no Bash tool offered: title/summary side calls) get a
 * short text. `HEAD /api/hello` (Claude Code's connectivity probe) gets 200; anything else a
 * 404 `not_found_error`. Every request is recorded.
 */
import type { ServerResponse } from 'node:http';
import { mockId, sendJson, sendSse, startMockServer, type MockServer, type RecordedRequest } from './mock-http.js';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type ClaudeTurn =
  /** A `tool_use` of the Bash tool with this command (optionally preceded by a text block). */
  | { bash: string; text?: string; usage?: AnthropicUsage }
  /** A `tool_use` of any tool with this input (e.g. `Agent` for a subagent, Bash in the background). */
  | { tool: string; input: Record<string, unknown>; text?: string; usage?: AnthropicUsage }
  /** A final text answer (`stop_reason: end_turn`). */
  | { text: string; usage?: AnthropicUsage }
  /** An HTTP error with the real body shape (401 authentication_error, 529 overloaded_error, …). */
  | { error: number; message?: string };

export interface AnthropicMock extends MockServer {
  /** The main-loop requests (the ones that offered the Bash tool), in order. */
  mainRequests(): RecordedRequest[];
  /** Every `tool_result` block Claude Code sent back, in order, with its text. */
  toolResults(): Array<{ tool_use_id: string; text: string; is_error: boolean }>;
  /** Requests the mock did not expect (neither the main loop, a side call nor the probe). */
  unexpected(): RecordedRequest[];
}

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

/** The error body the real API sends: `{type:"error", error:{type, message}, request_id}`. */
export function anthropicErrorBody(status: number, message?: string): Record<string, unknown> {
  const [type, text] = ERROR_TYPES[status] ?? ['api_error', `HTTP ${status}`];
  return { type: 'error', error: { type, message: message ?? text }, request_id: mockId('req_011') };
}

const DEFAULT_USAGE: AnthropicUsage = { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 2000, cache_read_input_tokens: 500 };

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function blocksFor(turn: Exclude<ClaudeTurn, { error: number }>): Block[] {
  const blocks: Block[] = [];
  if (turn.text) blocks.push({ type: 'text', text: turn.text });
  if ('bash' in turn) blocks.push({ type: 'tool_use', id: mockId('toolu_01'), name: 'Bash', input: { command: turn.bash, description: 'Run the scripted command' } });
  if ('tool' in turn) blocks.push({ type: 'tool_use', id: mockId('toolu_01'), name: turn.tool, input: turn.input });
  return blocks;
}

/** The SSE events of one assistant message, split the way the real API splits them. */
export function messageEvents(model: string, blocks: Block[], usage: AnthropicUsage): Array<{ type: string } & Record<string, unknown>> {
  const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  const events: Array<{ type: string } & Record<string, unknown>> = [
    {
      type: 'message_start',
      message: {
        id: mockId('msg_01'),
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, output_tokens: 1, service_tier: 'standard' },
      },
    },
  ];
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (index === 0) events.push({ type: 'ping' });
      const mid = Math.ceil(b.text.length / 2);
      for (const part of [b.text.slice(0, mid), b.text.slice(mid)]) if (part) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
    } else {
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      if (index === 0) events.push({ type: 'ping' });
      const json = JSON.stringify(b.input);
      const cut = Math.min(json.length, 12);
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(0, cut) } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(cut) } });
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  events.push({ type: 'message_stop' });
  return events;
}

/** The same message as one JSON object (`"stream": false`). */
function messageJson(model: string, blocks: Block[], usage: AnthropicUsage): Record<string, unknown> {
  const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  return {
    id: mockId('msg_01'),
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0, cache_read_input_tokens: usage.cache_read_input_tokens ?? 0, output_tokens: usage.output_tokens, service_tier: 'standard' },
  };
}

interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: Array<{ name?: string }>;
  messages?: Array<{ role: string; content: unknown }>;
}

const isMain = (b: MessagesBody): boolean => (b.tools ?? []).some((t) => t.name === 'Bash');

function answer(rec: RecordedRequest, res: ServerResponse, body: MessagesBody, blocks: Block[], usage: AnthropicUsage, label: string): void {
  const model = body.model ?? 'claude-mock';
  const headers = { 'request-id': mockId('req_011') };
  if (body.stream) sendSse(rec, res, messageEvents(model, blocks, usage), `stream:${label}`, headers);
  else sendJson(rec, res, 200, messageJson(model, blocks, usage), `json:${label}`, headers);
}

export interface AnthropicMockOptions {
  /**
   * Separate scripts for requests whose model contains the key (e.g. `haiku` for a subagent
   * started with `model: "haiku"`); their turns count the same way, within their conversation.
   */
  byModel?: Record<string, ClaudeTurn[]>;
}

export async function startAnthropicMock(mainTurns: ClaudeTurn[], opts: AnthropicMockOptions = {}): Promise<AnthropicMock> {
  const expected = new Set<RecordedRequest>();
  const server = await startMockServer((rec, res) => {
    if (rec.path === '/api/hello') {
      expected.add(rec);
      rec.answer = { status: 200, label: 'probe' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(rec.method === 'HEAD' ? undefined : '{}');
      return;
    }
    if (rec.method !== 'POST' || rec.path !== '/v1/messages' || typeof rec.json !== 'object' || rec.json === null) {
      sendJson(rec, res, 404, anthropicErrorBody(404, `${rec.method} ${rec.path} is not mocked`), 'unmocked');
      return;
    }
    expected.add(rec);
    const body = rec.json as MessagesBody;
    if (!isMain(body)) {
      answer(rec, res, body, [{ type: 'text', text: 'Mock side answer' }], { input_tokens: 10, output_tokens: 3 }, 'side');
      return;
    }
    const index = (body.messages ?? []).filter((m) => m.role === 'assistant').length;
    const key = Object.keys(opts.byModel ?? {}).find((k) => (body.model ?? '').includes(k));
    const turns = key ? opts.byModel![key]! : mainTurns;
    const turn = turns[index];
    if (!turn) {
      answer(rec, res, body, [{ type: 'text', text: `The mock has no turn ${index} scripted.` }], DEFAULT_USAGE, `unscripted-${index}`);
      return;
    }
    if ('error' in turn) {
      sendJson(rec, res, turn.error, anthropicErrorBody(turn.error, turn.message), `error:${turn.error}`, { 'request-id': mockId('req_011') });
      return;
    }
    answer(rec, res, body, blocksFor(turn), turn.usage ?? DEFAULT_USAGE, `${key ? `${key}:` : ''}turn${index}:${'bash' in turn || 'tool' in turn ? 'tool_use' : 'text'}`);
  });
  const mainRequests = (): RecordedRequest[] => server.requests.filter((r) => r.path === '/v1/messages' && typeof r.json === 'object' && r.json !== null && isMain(r.json as MessagesBody));
  return {
    ...server,
    mainRequests,
    toolResults() {
      const seen = new Map<string, { tool_use_id: string; text: string; is_error: boolean }>();
      for (const r of mainRequests()) {
        for (const m of (r.json as MessagesBody).messages ?? []) {
          if (m.role !== 'user' || !Array.isArray(m.content)) continue;
          for (const c of m.content as Array<Record<string, unknown>>) {
            if (c.type !== 'tool_result' || typeof c.tool_use_id !== 'string') continue;
            const text = typeof c.content === 'string' ? c.content : Array.isArray(c.content) ? (c.content as Array<{ text?: string }>).map((x) => x.text ?? '').join('') : '';
            seen.set(c.tool_use_id, { tool_use_id: c.tool_use_id, text, is_error: c.is_error === true });
          }
        }
      }
      return [...seen.values()];
    },
    unexpected: () => server.requests.filter((r) => !expected.has(r)),
  };
}
