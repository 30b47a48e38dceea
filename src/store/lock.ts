/**
 * The graph lock: an exclusive flock(2) on `.wg/graph.lock` (the same file and the same lock
 * the Rust tool takes, so the two tools exclude each other). The kernel drops a flock when its
 * holder dies, so a writer killed with SIGKILL never leaves a stale lock behind — recovery is
 * instant, where a mkdir/lockfile scheme waits out a staleness timeout (≥ 2 s per kill).
 */
import { closeSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WgError } from '../core/errors.js';

interface FsExt {
  flockSync(fd: number, flags: 'ex' | 'exnb' | 'un' | 'sh' | 'shnb'): void;
}
let fsExt: FsExt | undefined;
function flock(): FsExt {
  // Loaded lazily: read-only commands never take the lock and skip the native module load.
  return (fsExt ??= createRequire(import.meta.url)('fs-ext') as FsExt);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LockHandle {
  release(): void;
}

/** Default wait for the lock before giving up with an error (WG_LOCK_TIMEOUT_MS overrides). */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export async function acquireLock(path: string, timeoutMs = Number(process.env.WG_LOCK_TIMEOUT_MS) || DEFAULT_LOCK_TIMEOUT_MS): Promise<LockHandle> {
  const fd = openSync(path, 'a+', 0o644);
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      flock().flockSync(fd, 'exnb');
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') {
        closeSync(fd);
        throw new WgError('io', `cannot lock ${path}: ${(e as Error).message}`);
      }
      if (Date.now() >= deadline) {
        closeSync(fd);
        throw new WgError('lock_timeout', `timed out after ${timeoutMs} ms waiting for ${path}`, {
          hint: 'another wg process holds the graph lock (a stopped process?); it is released when that process exits',
        });
      }
      // Polling (not a blocking flock in the thread pool) so a timeout never leaves a thread
      // that would later take the lock behind our back. 1 ms doubling to 8 ms with jitter.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 8);
    }
  }
  return held(fd);
}

/** A taken lock: notes our pid in the file (informational) and releases exactly once. */
function held(fd: number): LockHandle {
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`);
  } catch {
    // the pid note is informational only
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        flock().flockSync(fd, 'un');
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * Takes an exclusive flock without waiting, for a lock held for a process's lifetime (the
 * service's `daemon.lock`: one service per .wg/, and a dead service frees it instantly).
 * Returns undefined when another process holds it.
 */
export function tryLockForLifetime(path: string): LockHandle | undefined {
  const fd = openSync(path, 'a+', 0o644);
  try {
    flock().flockSync(fd, 'exnb');
  } catch (e) {
    closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return undefined;
    throw new WgError('io', `cannot lock ${path}: ${(e as Error).message}`);
  }
  return held(fd);
}
