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

/** The archived ids, from the sidecar when it matches the archive (else rebuilt and rewritten). */
export function archivedIds(paths: WgPaths): Set<string> {
  const s = stamp(archivePath(paths));
  if (!s) return new Set();
  try {
    const text = readFileSync(idsPath(paths), 'latin1');
    const nl = text.indexOf('\n');
    if (text.slice(0, nl) === `v1 ${s}`) return new Set(text.slice(nl + 1).split('\n').filter(Boolean));
  } catch {
    // no sidecar yet
  }
  const ids = new Set(readArchive(paths).keys());
  writeIdsFile(paths, ids);
  return ids;
}

export function writeIdsFile(paths: WgPaths, ids: Iterable<string>): void {
  const s = stamp(archivePath(paths));
  if (!s) return;
  try {
    mkdirSync(dirname(idsPath(paths)), { recursive: true });
    writeFileSync(idsPath(paths), `v1 ${s}\n${[...ids].join('\n')}\n`);
  } catch {
    // a cache: the next reader rebuilds it
  }
}

/** A lookup that reads the ids on first use (most graphs never ask: no dependency is missing). */
export function lazyArchived(paths: WgPaths): ArchivedLookup | undefined {
  if (!existsSync(archivePath(paths))) return undefined;
  let ids: Set<string> | undefined;
  return { has: (id) => (ids ??= archivedIds(paths)).has(id) };
}

