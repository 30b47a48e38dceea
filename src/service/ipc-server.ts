/**
 * The service's socket server (`service/daemon.sock`, mode 0600; protocol in ipc.ts): one JSON
 * request per line, one JSON response per line. It knows nothing of the daemon: it parses,
 * refuses what agents may not do, and calls a handler.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { IpcRequest, IpcResponse } from './ipc.js';

export interface IpcHandlers {
  ping(): IpcResponse;
  kick(): IpcResponse;
  status(): IpcResponse;
  pause(): IpcResponse;
  resume(): IpcResponse;
  stop(killAgents: boolean): IpcResponse;
}

/** One request line → its response (exported for the in-process tests). */
export function handleRequest(handlers: IpcHandlers, line: string): IpcResponse {
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
        if (req.agent_id) return { ok: false, error: `an agent (${req.agent_id}) cannot ${req.cmd} the service` };
        return req.cmd === 'pause' ? handlers.pause() : handlers.resume();
      case 'stop':
        if (req.agent_id) return { ok: false, error: `an agent (${req.agent_id}) cannot stop the service` };
        return handlers.stop(!!req.kill_agents);
      default:
        return { ok: false, error: `unknown request '${(req as { cmd?: string }).cmd}'` };
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function serve(sock: Socket, handlers: IpcHandlers): void {
  let buf = '';
  sock.on('error', () => undefined);
  sock.on('data', (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const res = handleRequest(handlers, buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
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
