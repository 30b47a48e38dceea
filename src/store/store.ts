/**
 * The JSONL store. Readers parse graph.jsonl without any lock (a save is an atomic rename, so
 * a reader sees the old file or the new one). Writers run a pure plan function on a fresh load
 * under the exclusive graph lock and write the result atomically, then append provenance.
 * The lock is never held across a spawn, a network call or a sleep (SPEC §1 rule 1).
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { WgError } from '../core/errors.js';
import { Graph } from '../core/graph.js';
import type { OperationRecord, Plan } from '../core/plan.js';
import { formatTimestamp } from '../core/time.js';
import { removeOrphanTemps, writeFileDurable } from './atomic-write.js';
import { parseGraph, applyWrites, type GraphFile } from './graph-file.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';

/** Rotate the provenance log past this size (the Rust tool's threshold). */
export const OPERATIONS_ROTATE_BYTES = 10 * 1024 * 1024;

export interface Snapshot {
  graph: Graph;
  file: GraphFile;
}

export interface MutationContext {
  actor?: string;
  user?: string;
  now: Date;
}

export interface MutationOutcome<R> {
  result: R;
  written: boolean;
}

export class JsonlStore {
  constructor(readonly paths: WgPaths) {}

  private readText(): string {
    try {
      return readFileSync(this.paths.graph, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WgError('not_initialized', `no graph.jsonl in ${this.paths.dir} — run 'wg init'`);
      throw e;
    }
  }

  /** Lock-free read. */
  load(): Snapshot {
    const file = parseGraph(this.readText());
    return { graph: new Graph(file.tasks), file };
  }

  /**
   * Read-modify-write under the graph lock. `plan` is a pure function of the fresh snapshot;
   * if it throws, nothing is written. A plan with no effective change writes nothing.
   */
  async mutate<R>(plan: (graph: Graph, file: GraphFile) => Plan<R>, ctx: MutationContext): Promise<MutationOutcome<R>> {
    const lock = await acquireLock(this.paths.lock);
    try {
      removeOrphanTemps(this.paths.graph);
      const { graph, file } = this.load();
      const p = plan(graph, file);
      const text = p.writes.length ? applyWrites(file, p.writes) : undefined;
      if (text === undefined) return { result: p.result, written: false };
      writeFileDurable(this.paths.graph, text);
      this.recordOperations(p.ops, ctx);
      return { result: p.result, written: true };
    } finally {
      lock.release();
    }
  }

  /** Provenance: one line per operation, appended while the graph lock is held. */
  recordOperations(ops: OperationRecord[], ctx: MutationContext): void {
    if (!ops.length) return;
    const stamp = formatTimestamp(ctx.now);
    const text = ops
      .map((o) => JSON.stringify({ timestamp: stamp, op: o.op, ...(o.task_id ? { task_id: o.task_id } : {}), ...(ctx.actor ? { actor: ctx.actor } : {}), ...(ctx.user ? { user: ctx.user } : {}), ...(o.detail ? { detail: o.detail } : {}) }))
      .join('\n');
    mkdirSync(this.paths.logDir, { recursive: true });
    try {
      if (statSync(this.paths.operations).size >= OPERATIONS_ROTATE_BYTES) {
        renameSync(this.paths.operations, this.paths.operations.replace(/\.jsonl$/, `.${stamp.replace(/[:.]/g, '')}.jsonl`));
      }
    } catch {
      // no log yet
    }
    appendFileSync(this.paths.operations, text + '\n');
  }
}
