/**
 * After a command changes the graph, tell a running service to tick now (SPEC §4). Best
 * effort and non-blocking: no service, no socket, or a dead one all mean "nothing to do".
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { WgPaths } from '../store/paths.js';

export function kickService(paths: WgPaths): void {
  if (!existsSync(paths.socket)) return;
  try {
    const sock = connect(paths.socket);
    sock.on('error', () => undefined);
    sock.setTimeout(200, () => sock.destroy());
    sock.end(JSON.stringify({ cmd: 'kick' }) + '\n');
    sock.unref();
  } catch {
    // the service is not there; nothing to kick
  }
}
