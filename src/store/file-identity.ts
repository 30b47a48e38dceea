/**
 * The identity of graph.jsonl without reading it: device, inode, size and mtime (ns). Every
 * store write renames a new file into place, so each write gives the file a new identity; a hand
 * edit, `git checkout` or the Rust tool changes it too (new inode, or a new mtime and ctime).
 *
 * Two uses, with different trust:
 * - the index and the change journal record the identity of the file they describe, so a
 *   reader can tell "this is the file the index was built from" with one fstat instead of
 *   hashing 54 MB (at 100k tasks);
 * - the service keeps the identity (plus ctime) of the copy it holds: an unchanged stat means an
 *   unchanged file, so an idle tick reads nothing.
 *
 * The identity is known before the rename (the writer's fstat of its temp file): rename changes
 * the inode's ctime, not its mtime, size or number. ctime is not part of the identity; it guards
 * against the edits an identity alone could miss (see `racy`).
 */
import { closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

export const identityOf = (st: BigIntStats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;

/** Full stat key (identity + ctime): what the service compares on every tick. */
export const statKeyOf = (st: BigIntStats): string => `${identityOf(st)}:${st.ctimeNs}`;

export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** stat of `path`, or undefined when it does not exist. */
export function statBig(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Can a reader trust "same identity ⇒ same bytes" for this file and an index written after it?
 * Only when the file's last inode change (ctime) is strictly older than the index file's
 * content (its mtime): any change to the file after the index was written — in place, with
 * its mtime put back (`touch -d`, `cp -p`), or a new file that happens to reuse the inode
 * number and size — sets a ctime at least as new as that, and the reader then hashes instead.
 * On a file system with coarse timestamps, a write and its index can share a tick: racy, so
 * the reader hashes (git's "racily clean" rule, for the same reason).
 */
export const racy = (graph: BigIntStats, index: BigIntStats): boolean => !(graph.ctimeNs < index.mtimeNs);

/**
 * Waits (spinning, at most `budgetMs`) until the file system's clock has passed `ns` — the
 * ctime of a graph file just renamed into place — so that an index written next is strictly
 * newer and readers can trust it (not `racy`). The clock is read by writing a scratch file in
 * `dir` and reading back its mtime. Measured on Linux 6.18 (multigrain timestamps): without
 * this, the index of every write shared its timestamp with the graph file and the next reader
 * hashed the whole file; with it, one or two scratch writes (µs). On a kernel with coarse
 * timestamps it can take up to one tick (≤ 4 ms); past the budget, readers simply hash.
 */
export function fsClockPast(dir: string, ns: bigint, budgetMs = 20): boolean {
  let fd: number;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(join(dir, 'clock'), 'w');
  } catch {
    return false;
  }
  try {
    const deadline = Date.now() + budgetMs;
    const one = Buffer.from('.');
    for (;;) {
      writeSync(fd, one, 0, 1, 0);
      if (fstatSync(fd, { bigint: true }).mtimeNs > ns) return true;
      if (Date.now() > deadline) return false;
    }
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
