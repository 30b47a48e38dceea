/**
 * The agent registry as the long-lived service holds it: in memory, re-read only when the
 * file's identity (device, inode, size, mtime and ctime in ns) changed — a `wg heartbeat`, a
 * `wg retry` that marked an agent dead, `wg reap`. An idle tick costs one stat. The service's
 * own updates run under the registry lock like everyone's and keep the copy they wrote.
 */
import { statSync } from 'node:fs';
import type { WgPaths } from '../store/paths.js';
import { readRegistry, updateRegistry, type Registry } from '../store/registry.js';

function identity(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

export class RegistryView {
  private reg: Registry | undefined;
  private id: string | undefined;
  /** Bumped whenever the copy changes (own write or a re-read): the dispatcher's input key. */
  generation = 0;

  constructor(private readonly paths: WgPaths) {}

  /** The registry now (a stat; a read only when another process changed it). */
  current(): Registry {
    const id = identity(this.paths.registry);
    if (!this.reg || id !== this.id) {
      this.reg = readRegistry(this.paths);
      this.id = id;
      this.generation++;
    }
    return this.reg;
  }

  /** Read-modify-write under the registry lock; the copy in memory becomes what was written. */
  async update<R>(fn: (reg: Registry) => R): Promise<R> {
    try {
      return await updateRegistry(this.paths, fn, {
        read: () => this.current(),
        written: (reg) => {
          this.reg = reg;
          this.id = identity(this.paths.registry);
          this.generation++;
        },
      });
    } catch (e) {
      // The copy may have been half-modified by `fn`: read the file again next time.
      this.reg = undefined;
      throw e;
    }
  }
}
