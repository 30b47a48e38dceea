/** `service/state.json` — `{pid, socket_path, started_at}` of the running service (SPEC §1). */
import { readFileSync } from 'node:fs';
import type { WgPaths } from './paths.js';

export interface ServiceStateView {
  running: boolean;
  pid?: number;
  socket_path?: string;
  started_at?: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readServiceState(paths: WgPaths): ServiceStateView {
  try {
    const s = JSON.parse(readFileSync(paths.state, 'utf8')) as { pid?: unknown; socket_path?: unknown; started_at?: unknown };
    if (typeof s.pid !== 'number') return { running: false };
    return {
      running: pidAlive(s.pid),
      pid: s.pid,
      ...(typeof s.socket_path === 'string' ? { socket_path: s.socket_path } : {}),
      ...(typeof s.started_at === 'string' ? { started_at: s.started_at } : {}),
    };
  } catch {
    return { running: false };
  }
}
