/**
 * Crash-safe replace (SPEC §1 rule 2): a unique temp file in the same directory, fsync, rename
 * over the target, fsync the directory. write-file-atomic does the first three; the directory
 * fsync makes the rename itself durable.
 */
import { closeSync, fsyncSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export function writeFileDurable(path: string, data: string | Buffer, mode = 0o644): void {
  writeFileAtomic.sync(path, data, { fsync: true, mode });
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Removes temp files a killed writer left behind (`<name>.<hash>`). Only call it while holding
 * the lock that guards `path`: then no live writer can own such a file.
 */
export function removeOrphanTemps(path: string): number {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && /^[0-9a-f]+$/i.test(name.slice(prefix.length))) {
      try {
        unlinkSync(join(dir, name));
        removed++;
      } catch {
        // already gone
      }
    }
  }
  return removed;
}
