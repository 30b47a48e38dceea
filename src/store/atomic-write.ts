/**
 * Crash-safe replace (SPEC §1 rule 2): write a uniquely named temp file in the same directory,
 * fsync it, rename it over the target, fsync the directory (so the rename itself is durable).
 * A crash at any instant leaves the old file or the new one.
 *
 * Written here rather than with write-file-atomic, for one reason: its temp files are named
 * `<file>.<number>`, indistinguishable from a user's `graph.jsonl.1` backup, so a killed
 * writer's leftovers could not be cleaned up safely. Ours are `<file>.wg-tmp-<pid>-<n>`.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;
const TEMP_MARK = '.wg-tmp-';

/** A fresh temp path next to `path`, with the name removeOrphanTemps recognizes. */
export const tempPathFor = (path: string): string => `${path}${TEMP_MARK}${process.pid}-${++counter}`;

/** fsync of the directory holding `path`, so a rename into it is durable. */
export function fsyncDir(path: string): void {
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function writeFileDurable(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = tempPathFor(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined = openSync(tmp, 'wx', mode);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created or already renamed
    }
    throw e;
  }
  fsyncDir(path);
}

/**
 * Removes temp files a killed writer left behind (`<name>.wg-tmp-<pid>-<n>`). Only call it
 * while holding the lock that guards `path`: then no live writer can own such a file.
 */
export function removeOrphanTemps(path: string): number {
  const dir = dirname(path);
  const pattern = new RegExp(`^${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.wg-tmp-\\d+-\\d+$`);
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!pattern.test(name)) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
