/** Small files of the service: state.json, dispatcher.json (pause survives restarts), the daemon lock. */
import { readFileSync, rmSync } from 'node:fs';
import { writeFileDurable } from '../store/atomic-write.js';
import type { WgPaths } from '../store/paths.js';
import { join } from 'node:path';
import type { ServiceOverrides } from '../settings.js';

export interface ServiceState {
  pid: number;
  socket_path: string;
  started_at: string;
  /** Overrides given to `service start`, reused by `service restart`. */
  overrides?: ServiceOverrides;
}

export type { ServiceOverrides } from '../settings.js';

export const daemonLockPath = (paths: WgPaths): string => join(paths.serviceDir, 'daemon.lock');
export const dispatcherStatePath = (paths: WgPaths): string => join(paths.serviceDir, 'dispatcher.json');

export function writeServiceState(paths: WgPaths, state: ServiceState): void {
  writeFileDurable(paths.state, JSON.stringify(state, null, 2) + '\n');
}

export function readServiceStateFile(paths: WgPaths): ServiceState | undefined {
  try {
    const s = JSON.parse(readFileSync(paths.state, 'utf8')) as ServiceState;
    return typeof s.pid === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function removeServiceState(paths: WgPaths): void {
  rmSync(paths.state, { force: true });
}

export function readPaused(paths: WgPaths): boolean | undefined {
  try {
    const s = JSON.parse(readFileSync(dispatcherStatePath(paths), 'utf8')) as { paused?: unknown };
    return typeof s.paused === 'boolean' ? s.paused : undefined;
  } catch {
    return undefined;
  }
}

export function writePaused(paths: WgPaths, paused: boolean): void {
  writeFileDurable(dispatcherStatePath(paths), JSON.stringify({ paused }) + '\n');
}
