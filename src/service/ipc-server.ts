/**
 * The service's socket server (`service/daemon.sock`, mode 0600; protocol in ipc.ts): one JSON
 * request per line, one JSON response per line. It knows nothing of the daemon: it parses,
 * refuses what agents may not do, and calls a handler.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { IpcRequest, IpcResponse } from './ipc.js';
import { judgePeer, type PeerVerdict } from './peer.js';

export interface IpcHandlers {
  ping(): IpcResponse;
  kick(): IpcResponse;
  status(): IpcResponse;
  pause(): IpcResponse;
  resume(): IpcResponse;
  stop(killAgents: boolean): IpcResponse;
  /** The service's agents (process group → agent id): their requests to pause, resume or stop are refused at the socket. */
  agents?(): ReadonlyMap<number, string>;
}

/** What agents may not ask, whatever they write to the socket (issue 14, point 7). */
const AGENTS_MAY_NOT = new Set(['pause', 'resume', 'stop']);

/**
 * Refuses a request of `AGENTS_MAY_NOT` from an agent: one whose client says it is an agent
 * (`agent_id`), or whose peer process the server found to be an agent's (`asker`, from the
 * kernel's view of the connection: peer.ts), or whose client hung up before it could be told.
 */
function refusal(req: { cmd: string; agent_id?: unknown }, asker: PeerVerdict | undefined): IpcResponse | undefined {
  const what = `cannot ${req.cmd} the service`;
  if (asker?.agent !== undefined) return { ok: false, error: `an agent (${asker.agent}, PID ${asker.pid}) ${what}` };
  if (typeof req.agent_id === 'string' && req.agent_id) return { ok: false, error: `an agent (${req.agent_id}) ${what}` };
  if (asker?.gone) return { ok: false, error: `a client that hung up before it could be identified ${what}` };
  return undefined;
}

/**
 * One request line → its response (exported for the in-process tests). `asker`: who the server
 * found on the other end, for the requests agents may not make.
 */
export function handleRequest(handlers: IpcHandlers, line: string, asker?: PeerVerdict): IpcResponse {
  let req: IpcRequest;
  try {
    req = JSON.parse(line) as IpcRequest;
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  try {
    switch (req.cmd) {
      case 'ping':
        return handlers.ping();
      case 'kick':
        return handlers.kick();
      case 'status':
        return handlers.status();
      case 'pause':
      case 'resume':
        return refusal(req, asker) ?? (req.cmd === 'pause' ? handlers.pause() : handlers.resume());
      case 'stop':
        return refusal(req, asker) ?? handlers.stop(!!req.kill_agents);
      default:
        return { ok: false, error: `unknown request '${(req as { cmd?: string }).cmd}'` };
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A request agents may not make is answered once its peer is known (peer.ts); others at once. */
async function answer(handlers: IpcHandlers, sock: Socket, line: string): Promise<IpcResponse> {
  let cmd: unknown;
  try {
    cmd = (JSON.parse(line) as { cmd?: unknown } | null)?.cmd;
  } catch {
    // handleRequest answers that it is not JSON
  }
  const asker = typeof cmd === 'string' && AGENTS_MAY_NOT.has(cmd) && handlers.agents ? await judgePeer(sock, handlers.agents()) : undefined;
  return handleRequest(handlers, line, asker);
}

function serve(sock: Socket, handlers: IpcHandlers): void {
  let buf = '';
  // Responses in the order of the requests, though some wait for their peer to be identified.
  let queue: Promise<void> = Promise.resolve();
  sock.on('error', () => undefined);
  sock.on('data', (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      queue = queue.then(async () => {
        const res = await answer(handlers, sock, line).catch((e: Error) => ({ ok: false as const, error: e.message }));
        if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
      });
    }
  });
}

/**
 * Listens on `socketPath` (owner-only). The caller holds the service lock, so a socket file
 * found there belongs to a dead service and is replaced.
 */
export function listenIpc(socketPath: string, handlers: IpcHandlers): Promise<Server> {
  rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    const server = createServer((sock) => serve(sock, handlers));
    server.once('error', reject);
    const umask = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(umask);
      chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}
