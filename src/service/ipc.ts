/**
 * The service socket (`service/daemon.sock`, mode 0600): one JSON request per line, one JSON
 * response per line. Requests: ping, kick, status, stop, pause, resume.
 */
import { connect } from 'node:net';
import type { WgPaths } from '../store/paths.js';

export type IpcRequest =
  | { cmd: 'ping' }
  | { cmd: 'kick' }
  | { cmd: 'status' }
  | { cmd: 'stop'; kill_agents?: boolean; agent_id?: string }
  | { cmd: 'pause'; agent_id?: string }
  | { cmd: 'resume'; agent_id?: string };

export type IpcResponse = { ok: true; [k: string]: unknown } | { ok: false; error: string };

/** Sends one request and resolves with the response; rejects if nobody answers in time. */
export function request(paths: WgPaths, req: IpcRequest, timeoutMs = 5000): Promise<IpcResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(paths.socket);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from the service within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as IpcResponse);
      } catch (e) {
        reject(e as Error);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
