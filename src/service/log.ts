/**
 * The service log (`service/daemon.log`): one JSON object per line (pino), rotated at 10 MB to
 * `daemon.log.1`. Every tick summary, spawn, exit, reclaim and kill is a line here.
 */
import { renameSync, statSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export const DAEMON_LOG_ROTATE_BYTES = 10 * 1024 * 1024;

export interface ServiceLog {
  logger: Logger;
  rotateIfNeeded(): void;
  /** Flushes and closes the file (an in-process service that stops; the CLI just exits). */
  close(): void;
}

export function openServiceLog(path: string): ServiceLog {
  const dest = pino.destination({ dest: path, sync: true, mkdir: true });
  const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  return {
    logger,
    rotateIfNeeded() {
      try {
        if (statSync(path).size < DAEMON_LOG_ROTATE_BYTES) return;
        renameSync(path, `${path}.1`);
        dest.reopen();
      } catch {
        // rotation is best effort; the log keeps going to the current file
      }
    },
    close() {
      dest.end();
    },
  };
}
