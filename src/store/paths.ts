/** Where a workgraph lives, resolved once: --dir > $WG_DIR > nearest `.wg/` walking up (SPEC §1). */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WgError } from '../core/errors.js';

export interface WgPaths {
  dir: string;
  graph: string;
  lock: string;
  config: string;
  serviceDir: string;
  state: string;
  socket: string;
  daemonLog: string;
  registry: string;
  registryLock: string;
  agentsDir: string;
  logDir: string;
  operations: string;
  agencyDir: string;
}

export function pathsFor(dir: string): WgPaths {
  const d = resolve(dir);
  const serviceDir = join(d, 'service');
  return {
    dir: d,
    graph: join(d, 'graph.jsonl'),
    lock: join(d, 'graph.lock'),
    config: join(d, 'config.toml'),
    serviceDir,
    state: join(serviceDir, 'state.json'),
    socket: join(serviceDir, 'daemon.sock'),
    daemonLog: join(serviceDir, 'daemon.log'),
    registry: join(serviceDir, 'registry.json'),
    registryLock: join(serviceDir, 'registry.lock'),
    agentsDir: join(d, 'agents'),
    logDir: join(d, 'log'),
    operations: join(d, 'log', 'operations.jsonl'),
    agencyDir: join(d, 'agency'),
  };
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** `--dir`/`WG_DIR` may name the `.wg` directory itself or a project directory containing one. */
export function explicitWgDir(given: string): string {
  const p = resolve(given);
  if (basename(p) === '.wg' || existsSync(join(p, 'graph.jsonl'))) return p;
  if (isDir(join(p, '.wg'))) return join(p, '.wg');
  return p;
}

export function findWgDir(opts: { dir?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv }): string {
  const env = opts.env ?? process.env;
  const given = opts.dir ?? env.WG_DIR;
  if (given) {
    const p = explicitWgDir(given);
    if (!existsSync(join(p, 'graph.jsonl'))) {
      throw new WgError('not_initialized', `no workgraph at ${p} — run 'wg init --dir ${given}'`);
    }
    return p;
  }
  let cur = resolve(opts.cwd ?? process.cwd());
  for (;;) {
    const candidate = join(cur, '.wg');
    if (existsSync(join(candidate, 'graph.jsonl'))) return candidate;
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  throw new WgError('not_initialized', "no .wg directory found — run 'wg init'");
}
