/**
 * The registry as the service's steps use it: the store's RegistryView (held in memory, re-read
 * only when the file changed: an idle tick costs one stat) for reading, and the registry lock's
 * read-modify-write for the service's own updates.
 */
import type { WgPaths } from '../store/paths.js';
import { RegistryView, updateRegistry, type Registry } from '../store/registry.js';

export class ServiceRegistry {
  private readonly view: RegistryView;

  constructor(private readonly paths: WgPaths) {
    this.view = new RegistryView(paths);
  }

  /** The registry now (read-only). */
  current(): Registry {
    return this.view.get();
  }

  /** Read-modify-write under the registry lock (the next `current()` reads the result back). */
  update<R>(fn: (reg: Registry) => R): Promise<R> {
    return updateRegistry(this.paths, fn);
  }
}
