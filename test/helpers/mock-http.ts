/**
 * The shared part of the loopback mock model APIs (mock-anthropic.ts, mock-openai.ts): an HTTP
 * server on 127.0.0.1 (a free port), every request recorded (method, path, headers, body), and
 * Server-Sent Events written the way the real APIs frame them (`event:` + `data:` + blank line).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (decompressed when the client sent `content-encoding`). */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  /** Milliseconds since the server started. */
  at: number;
  /** What the mock answered: the HTTP status and a short label (`stream:tool_use`, `error:401`, …). */
  answer?: { status: number; label: string };
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface MockServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

function decode(raw: Buffer, encoding: string | undefined): string {
  if (!raw.length) return '';
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8');
  // Neither CLI compresses its requests to an API-key provider; anything else is recorded as such.
  if (encoding && encoding !== 'identity') throw new Error(`content-encoding ${encoding}`);
  return raw.toString('utf8');
}

export async function startMockServer(handler: Handler): Promise<MockServer> {
  const requests: RecordedRequest[] = [];
  const t0 = performance.now();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      let text: string;
      try {
        text = decode(Buffer.concat(chunks), req.headers['content-encoding'] as string | undefined);
      } catch (e) {
        text = `<undecodable body: ${(e as Error).message}>`;
      }
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: q >= 0 ? url.slice(0, q) : url, query: q >= 0 ? url.slice(q + 1) : '', headers: req.headers, text, ...(json !== undefined ? { json } : {}), at: Math.round(performance.now() - t0) };
      requests.push(rec);
      Promise.resolve(handler(rec, res)).catch((e: Error) => {
        rec.answer = { status: 500, label: `mock crashed: ${e.message}` };
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`mock crashed: ${e.message}`);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(rec: RecordedRequest, res: ServerResponse, status: number, body: unknown, label: string, headers: Record<string, string> = {}): void {
  rec.answer = { status, label };
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes a whole SSE stream: one `event: TYPE` / `data: JSON` frame per event, then ends. */
export function sendSse(rec: RecordedRequest, res: ServerResponse, events: Array<{ type: string } & Record<string, unknown>>, label: string, headers: Record<string, string> = {}): void {
  rec.answer = { status: 200, label };
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  for (const ev of events) res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
  res.end();
}

let counter = 0;
/** An id in the style of the real APIs (`msg_01…`, `toolu_01…`, `resp_…`), unique per process. */
export function mockId(prefix: string): string {
  counter++;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36).padStart(4, '0')}mock`;
}
