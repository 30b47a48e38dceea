/**
 * The archive (`.wg/archive.jsonl`): task lines moved out of graph.jsonl by `wg archive`, byte
 * for byte, one per line (a task archived again after a restore: the last line wins). The
 * graph stays small — `ready` at 10k tasks instead of 100k — and a dependency on an archived
 * task stays satisfied: the graph's `archived` lookup (core/graph.ts) reads only the ids, from
 * `cache/archive-ids.txt` (rebuilt from the archive when stale), and only when a dependency is
 * missing from the graph.
 *
 * Moving is crash-safe in this order, under the graph lock: append to the archive (fsync), then
 * write the smaller graph (atomic rename). A crash between leaves a task in both files: the
 * graph copy wins; the next archive run or restore tidies it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Graph, isAcyclic } from '../core/graph.js';
import type { OperationRecord } from '../core/plan.js';
import type { Task } from '../core/task.js';
import { removeOrphanTemps, writeFileDurable } from './atomic-write.js';
import { fstatBig, identityOf } from './file-identity.js';
import { archivedIds, archivePath, readArchive, writeIdsFile } from './archive-ids.js';
import { parseGraph } from './graph-file.js';
import { buildIndex, hashBytes, readIndexFile, writeIndex } from './graph-index.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';
import { recordOperations, type MutationContext } from './store.js';

export { archivePath, findArchived, readArchive, archivedIds, lazyArchived, type ArchivedEntry } from './archive-ids.js';

function appendDurable(path: string, text: string): void {
  const fd = openSync(path, 'a');
  try {
    const b = Buffer.from(text, 'utf8');
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes graph.jsonl from `text` (atomic) and the index for it. */
function writeGraph(paths: WgPaths, text: string): void {
  writeFileDurable(paths.graph, text);
  const bytes = Buffer.from(text, 'utf8');
  const fd = openSync(paths.graph, 'r');
  try {
    const st = fstatBig(fd);
    const file = parseGraph(text);
    const gen = (readIndexFile(paths.dir)?.header.gen ?? 0) + 1;
    writeIndex(paths.dir, { ...buildIndex(file, bytes, hashBytes(bytes), identityOf(st), gen), acyclic: isAcyclic(new Graph(file.tasks)) }, st.ctimeNs);
  } finally {
    closeSync(fd);
  }
}

export interface MoveResult<R> {
  result: R;
  moved: string[];
}

/**
 * Under the graph lock: `choose` (pure, on the whole graph) names the tasks to archive; their
 * lines are appended to the archive, then removed from graph.jsonl.
 */
export async function moveToArchive<R>(paths: WgPaths, choose: (graph: Graph) => { ids: string[]; ops: OperationRecord[]; result: R }, ctx: MutationContext): Promise<MoveResult<R>> {
  const lock = await acquireLock(paths.lock);
  try {
    removeOrphanTemps(paths.graph);
    const text = readFileSync(paths.graph, 'utf8');
    const file = parseGraph(text);
    const graph = new Graph(file.tasks);
    const plan = choose(graph);
    if (!plan.ids.length) return { result: plan.result, moved: [] };
    const out = new Set(plan.ids);
    const keep: string[] = [];
    const moved: string[] = [];
    for (const l of file.lines) {
      if (l.task && out.has(l.task.id)) moved.push(l.raw);
      else keep.push(l.raw);
    }
    appendDurable(archivePath(paths), moved.join('\n') + '\n');
    writeGraph(paths, keep.length ? keep.join('\n') + '\n' : '');
    const ids = archivedIds(paths);
    writeIdsFile(paths, ids);
    recordOperations(paths, plan.ops, ctx);
    return { result: plan.result, moved: plan.ids };
  } finally {
    lock.release();
  }
}

/** Under the graph lock: `id`'s archived line back at the end of graph.jsonl, then out of the archive. */
export async function restoreFromArchive(paths: WgPaths, id: string, check: (graph: Graph, archived: Task | undefined) => Task, ctx: MutationContext): Promise<Task> {
  const lock = await acquireLock(paths.lock);
  try {
    removeOrphanTemps(paths.graph);
    const text = readFileSync(paths.graph, 'utf8');
    const graph = new Graph(parseGraph(text).tasks);
    const archive = readArchive(paths);
    const entry = archive.get(id);
    const task = check(graph, entry?.task);
    writeGraph(paths, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${entry!.raw}\n`);
    archive.delete(id);
    writeFileDurable(archivePath(paths), [...archive.values()].map((e) => e.raw).join('\n') + (archive.size ? '\n' : ''));
    writeIdsFile(paths, archive.keys());
    recordOperations(paths, [{ op: 'restore', task_id: id }], ctx);
    return task;
  } finally {
    lock.release();
  }
}
