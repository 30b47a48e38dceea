/**
 * The archive's reading side (`.wg/archive.jsonl`, written by archive.ts): the archived tasks,
 * and their ids for readiness — from `cache/archive-ids.txt` when it matches the archive's
 * size and mtime (else rebuilt and rewritten), read only on first use.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArchivedLookup } from '../core/graph.js';
import type { Task } from '../core/task.js';
import { parseTaskLine } from './graph-file.js';
import type { WgPaths } from './paths.js';

export const archivePath = (paths: WgPaths): string => join(paths.dir, 'archive.jsonl');
const idsPath = (paths: WgPaths): string => join(paths.dir, 'cache', 'archive-ids.txt');

export interface ArchivedEntry {
  task: Task;
  raw: string;
}

/** Every archived task (last line per id wins), in archive order. */
export function readArchive(paths: WgPaths): Map<string, ArchivedEntry> {
  const out = new Map<string, ArchivedEntry>();
  let text: string;
  try {
    text = readFileSync(archivePath(paths), 'utf8');
  } catch {
    return out;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.trim()) continue;
    try {
      const task = parseTaskLine(raw, i + 1, 'archive.jsonl');
      out.delete(task.id);
      out.set(task.id, { task, raw });
    } catch {
      // a torn last line (a crash while appending) is skipped; the graph still had the task
    }
  }
  return out;
}

export function findArchived(paths: WgPaths, id: string): Task | undefined {
  return readArchive(paths).get(id)?.task;
}

const stamp = (p: string): string | undefined => {
  try {
    const st = statSync(p, { bigint: true });
    return `${st.size}:${st.mtimeNs}`;
  } catch {
    return undefined;
  }
};

/**
 * The sidecar's body: the archived ids sorted, one per line — checked against the archive's
 * size and mtime, else rebuilt from the archive and rewritten.
 */
function idsBody(paths: WgPaths): string {
  const s = stamp(archivePath(paths));
  if (!s) return '';
  try {
    const text = readFileSync(idsPath(paths), 'latin1');
    const nl = text.indexOf('\n');
    if (text.slice(0, nl) === `v1 ${s}`) return text.slice(nl + 1);
  } catch {
    // no sidecar yet
  }
  return writeIdsFile(paths, readArchive(paths).keys());
}

/** The archived ids as a set (for the writers; readiness uses lazyArchived's binary search). */
export function archivedIds(paths: WgPaths): Set<string> {
  return new Set(idsBody(paths).split('\n').filter(Boolean));
}

/** Writes the sidecar (sorted ids); returns its body. */
export function writeIdsFile(paths: WgPaths, ids: Iterable<string>): string {
  const sorted = [...ids].sort();
  const body = sorted.length ? `${sorted.join('\n')}\n` : '';
  const s = stamp(archivePath(paths));
  if (!s) return body;
  try {
    mkdirSync(dirname(idsPath(paths)), { recursive: true });
    writeFileSync(idsPath(paths), `v1 ${s}\n${body}`);
  } catch {
    // a cache: the next reader rebuilds it
  }
  return body;
}

/** Binary search for a whole line in sorted '\n'-terminated lines (no parsing, no set to build). */
export function sortedLinesHas(body: string, id: string): boolean {
  let lo = 0;
  let hi = body.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = body.lastIndexOf('\n', mid - 1) + 1;
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const line = body.slice(start, end);
    if (line === id) return true;
    if (line < id) lo = end + 1;
    else hi = start;
  }
  return false;
}

/**
 * A lookup that reads the ids on first use (most graphs never ask: no dependency is missing),
 * then answers by binary search in the sidecar's text: at 90k archived ids, one read of 3 MB.
 */
export function lazyArchived(paths: WgPaths): ArchivedLookup | undefined {
  if (!existsSync(archivePath(paths))) return undefined;
  let body: string | undefined;
  return { has: (id) => sortedLinesHas((body ??= idsBody(paths)), id) };
}
