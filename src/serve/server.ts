/**
 * The `wg serve` HTTP server: 127.0.0.1 only, one random token per run. A request proves the
 * token by `?token=` (the printed URL; answered with a cookie and a redirect to the same page
 * without it), by the HttpOnly SameSite=Strict cookie, or by an `X-WG-Token` header. Without it:
 * 401; with a wrong one: 403. A Host other than 127.0.0.1/localhost:port is refused (DNS
 * rebinding); a POST must be JSON and, when the browser says where it comes from, same-origin.
 *
 * Routes: GET / (dashboard), GET /task/ID (task page), `?partial=1` (the live part only),
 * GET /events (server-sent events: `update` on every change), GET /api/snapshot (JSON),
 * POST /action {action, task, text?} → the DashboardActions (the commands' own code).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WgError } from '../core/errors.js';
import { ACTION_NAMES, type ActionName, type DashboardActions } from '../dashboard/actions.js';
import type { DashboardSource } from '../dashboard/source.js';
import type { EvalSummary } from '../render/show.js';
import { dashboardLive, dashboardPage, PAGE_CSP, taskDocument, taskLive, treePage } from './pages.js';

export interface ServeOptions {
  port: number;
  token: string;
  source: DashboardSource;
  actions: DashboardActions;
  evaluation?: (taskId: string) => EvalSummary | undefined;
}

export interface RunningServer {
  port: number;
  /** The URL to open (with the token). */
  url: string;
  close(): Promise<void>;
}

const COOKIE = 'wg_token';
const MAX_BODY = 64 * 1024;

function tokenOf(req: IncomingMessage, url: URL): { given: string | undefined; fromQuery: boolean } {
  const q = url.searchParams.get('token');
  if (q !== null) return { given: q, fromQuery: true };
  const h = req.headers['x-wg-token'];
  if (typeof h === 'string') return { given: h, fromQuery: false };
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${COOKIE}=`));
  return { given: cookie?.slice(COOKIE.length + 1), fromQuery: false };
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function send(res: ServerResponse, code: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', ...headers });
  res.end(body);
}

const json = (res: ServerResponse, code: number, value: unknown): void => send(res, code, 'application/json; charset=utf-8', JSON.stringify(value));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function startServer(o: ServeOptions): Promise<RunningServer> {
  const streams = new Set<ServerResponse>();
  let liveCache: { key: string; html: string } | undefined;
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const unsubscribe = o.source.subscribe((s) => {
    for (const res of streams) res.write(`event: update\ndata: {"version":${s.version}}\n\n`);
  });
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!allowedHosts().includes(req.headers.host ?? '')) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden: unexpected Host header (open the URL wg serve printed)\n');
    const { given, fromQuery } = tokenOf(req, url);
    if (given === undefined || given === '') return send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: this dashboard needs its token — open the URL wg serve printed\n');
    if (!same(given, o.token)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden: wrong token — open the URL wg serve printed\n');
    const cookie = `${COOKIE}=${o.token}; HttpOnly; SameSite=Strict; Path=/`;
    if (fromQuery && req.method === 'GET') {
      url.searchParams.delete('token');
      return send(res, 303, 'text/plain; charset=utf-8', '', { Location: url.pathname + url.search, 'Set-Cookie': cookie });
    }
    const snap = o.source.current();
    if (req.method === 'POST' && url.pathname === '/action') return action(req, res);
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET' });
    const html = { 'Content-Security-Policy': PAGE_CSP };
    const status = url.searchParams.get('status') || undefined;
    const partial = url.searchParams.get('partial') === '1';
    if (url.pathname === '/') {
      // Every open page refetches on each update: the live part is rendered once per version.
      const key = `${snap.version}\u0000${status ?? ''}`;
      if (liveCache?.key !== key) liveCache = { key, html: dashboardLive(snap, o.actions.available, status) };
      return send(res, 200, 'text/html; charset=utf-8', partial ? liveCache.html : dashboardPage(liveCache.html, snap, status), html);
    }
    if (url.pathname === '/tree') return send(res, 200, 'text/html; charset=utf-8', treePage(snap), html);
    if (url.pathname.startsWith('/task/')) {
      let id: string;
      try {
        id = decodeURIComponent(url.pathname.slice('/task/'.length));
      } catch {
        return send(res, 400, 'text/plain; charset=utf-8', 'bad task id\n');
      }
      const ev = o.evaluation?.(id);
      const page = partial ? taskLive(snap, id, o.actions.available, ev) : taskDocument(snap, id, o.actions.available, ev);
      return page === undefined ? send(res, 404, 'text/plain; charset=utf-8', `no task '${id}'\n`) : send(res, 200, 'text/html; charset=utf-8', page, html);
    }
    if (url.pathname === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.write(`retry: 1000\nevent: hello\ndata: {"version":${snap.version}}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname === '/api/snapshot') {
      return json(res, 200, {
        version: snap.version,
        counts: Object.fromEntries(snap.counts),
        stuck: snap.stuck,
        agents: snap.agents,
        service: snap.service,
      });
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }

  async function action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().map((h) => `http://${h}`).includes(origin)) return json(res, 403, { error: 'cross-origin request refused' });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: 'send JSON (Content-Type: application/json)' });
    let body: { action?: unknown; task?: unknown; text?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (e) {
      return json(res, 400, { error: `bad request: ${(e as Error).message}` });
    }
    if (typeof body.action !== 'string' || !(ACTION_NAMES as readonly string[]).includes(body.action) || typeof body.task !== 'string') {
      return json(res, 400, { error: 'bad request: expected {"action": retry|kill|unclaim|pause|resume|approve|reject|message, "task": ID}' });
    }
    try {
      const lines = await o.actions.run({ action: body.action as ActionName, task: body.task, ...(typeof body.text === 'string' ? { text: body.text } : {}) });
      o.source.poke();
      json(res, 200, { ok: true, lines });
    } catch (e) {
      if (e instanceof WgError) return json(res, e.exitCode === 2 ? 400 : 409, { error: `error: ${e.message}`, ...(e.hint ? { hint: `hint: ${e.hint}` } : {}), code: e.code });
      json(res, 500, { error: `error: ${(e as Error).message}` });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}\n`);
      else res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://127.0.0.1:${port}/?token=${o.token}`,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe();
            clearInterval(keepAlive);
            for (const r of streams) r.end();
            streams.clear();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
