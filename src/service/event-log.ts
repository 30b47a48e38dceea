/**
 * Persists the service's typed events (events.ts) to `service/events.jsonl`, one line each —
 * `{"ts", "event", "data", "pid"}` — so a reader in another process (`wg watch`, the
 * dashboards: src/events/source.ts) can follow them. `tick:done` (every tick; in daemon.log)
 * and `listener:error` are not persisted. Rotated to `events.<stamp>.jsonl` past 10 MB; the
 * reader follows a rotation by inode.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatTimestamp, type Clock } from '../core/time.js';
import type { ServiceEvent } from './events.js';

export const EVENTS_ROTATE_BYTES = 10 * 1024 * 1024;
const NOT_PERSISTED = new Set(['tick:done', 'listener:error']);

export function eventLogListener(path: string, clock: Clock): (e: ServiceEvent) => void {
  mkdirSync(dirname(path), { recursive: true });
  let sinceCheck = 99; // the first write checks
  return ({ event, data }) => {
    if (NOT_PERSISTED.has(event)) return;
    const ts = formatTimestamp(clock.now());
    if (++sinceCheck >= 100) {
      sinceCheck = 0;
      try {
        if (statSync(path).size >= EVENTS_ROTATE_BYTES) renameSync(path, path.replace(/\.jsonl$/, `.${ts.replace(/[:.]/g, '')}.jsonl`));
      } catch {
        // no file yet
      }
    }
    appendFileSync(path, JSON.stringify({ ts, event, data, pid: process.pid }) + '\n');
  };
}
