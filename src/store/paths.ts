/**
 * Where a workgraph lives, resolved once (SPEC §1): --dir > $WG_DIR > walking up from the cwd,
 * `.wg/` then the Rust tool's legacy `.workgraph/` at each level. docs/rust-compat.md §Directory.
 */
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
  /** The service's typed events, one JSON line each (service/event-log.ts; read by src/events). */
  serviceEvents: string;
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
    serviceEvents: join(serviceDir, 'events.jsonl'),
    registry: join(serviceDir, 'registry.json'),
    // The Rust tool's name: both tools exclude each other on the registry (docs/decisions.md).
    registryLock: join(serviceDir, '.registry.lock'),
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

/** Directory names a workgraph lives in, in the order they are tried: `.wg`, then the Rust tool's legacy `.workgraph`. */
export const WG_DIR_NAMES = ['.wg', '.workgraph'] as const;

/** How the directory in use was found (what `wg which` prints). */
export interface WgDirResolution {
  /** The workgraph directory (`…/.wg` or `…/.workgraph`), absolute. */
  dir: string;
  source: 'flag' | 'env' | 'walk-up';
  /** The `--dir` / `$WG_DIR` value as given. */
  given?: string;
  /** Where the walk up started (the cwd). */
  from?: string;
  /** The directory is named `.workgraph` (made by the Rust tool, used in place). */
  legacy: boolean;
  /** `graph.jsonl` exists in it. */
  initialized: boolean;
  /** The other name beside it, when it exists too and is not used. */
  shadowed?: string;
}

const hasGraph = (dir: string): boolean => existsSync(join(dir, 'graph.jsonl'));

/**
 * `--dir`/`WG_DIR` may name the workgraph directory itself (`.wg`, `.workgraph`, or any directory
 * holding a graph.jsonl) or a project directory holding one (`.wg` preferred), as the Rust tool.
 */
export function explicitWgDir(given: string): string {
  const p = resolve(given);
  if ((WG_DIR_NAMES as readonly string[]).includes(basename(p)) || hasGraph(p)) return p;
  for (const name of WG_DIR_NAMES) if (isDir(join(p, name))) return join(p, name);
  return p;
}

/** The sibling of `dir` under the other name, when it is a directory too. */
function siblingOf(dir: string): string | undefined {
  const name = basename(dir);
  const other = WG_DIR_NAMES.find((n) => n !== name);
  if (!other || !(WG_DIR_NAMES as readonly string[]).includes(name)) return undefined;
  const sib = join(dirname(dir), other);
  return isDir(sib) ? sib : undefined;
}

/**
 * --dir > $WG_DIR > walking up from the cwd, at each level `.wg/` then `.workgraph/` — the Rust
 * tool's order (its `resolve_workgraph_dir`), minus its home-directory fallback. One deviation
 * where the Rust tool would fail: a `.wg/` without graph.jsonl gives way to an initialized
 * `.workgraph/` beside it. Undefined when nothing is found.
 */
export function resolveWgDir(opts: { dir?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv }): WgDirResolution | undefined {
  const env = opts.env ?? process.env;
  const describe = (dir: string, base: Omit<WgDirResolution, 'dir' | 'legacy' | 'initialized' | 'shadowed'>): WgDirResolution => {
    const shadowed = siblingOf(dir);
    return { dir, ...base, legacy: basename(dir) === '.workgraph', initialized: hasGraph(dir), ...(shadowed ? { shadowed } : {}) };
  };
  if (opts.dir) return describe(explicitWgDir(opts.dir), { source: 'flag', given: opts.dir });
  if (env.WG_DIR) return describe(explicitWgDir(env.WG_DIR), { source: 'env', given: env.WG_DIR });
  const from = resolve(opts.cwd ?? process.cwd());
  for (let cur = from; ; ) {
    const found = WG_DIR_NAMES.map((n) => join(cur, n)).filter(isDir);
    if (found.length) {
      const chosen = hasGraph(found[0]!) ? found[0]! : (found.find(hasGraph) ?? found[0]!);
      return describe(chosen, { source: 'walk-up', from });
    }
    const parent = dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

/** The resolution, refused (WgError) when nothing is found or the directory has no graph.jsonl. */
export function findWgResolution(opts: { dir?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv }): WgDirResolution {
  const r = resolveWgDir(opts);
  if (!r) {
    throw new WgError('not_initialized', "no .wg directory found — run 'wg init'", {
      hint: `looked for .wg/ and .workgraph/ in ${resolve(opts.cwd ?? process.cwd())} and every directory above it`,
    });
  }
  if (!r.initialized) {
    if (r.source !== 'walk-up') throw new WgError('not_initialized', `no workgraph at ${r.dir} — run 'wg init --dir ${r.given}'`);
    throw new WgError('not_initialized', `no workgraph at ${r.dir} (it has no graph.jsonl) — run 'wg init' in ${dirname(r.dir)}`);
  }
  return r;
}

export const findWgDir = (opts: { dir?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv }): string => findWgResolution(opts).dir;

const graphSize = (dir: string): number => {
  try {
    return statSync(join(dir, 'graph.jsonl')).size;
  } catch {
    return -1;
  }
};

/**
 * The trap an older `wg init` left in Rust projects: an empty `.wg/` beside the real graph in
 * `.workgraph/`. Both tools then use the empty one; this says so (undefined otherwise).
 */
export function emptyShadowWarning(r: WgDirResolution): string | undefined {
  if (!r.shadowed || basename(r.dir) !== '.wg' || graphSize(r.dir) !== 0 || graphSize(r.shadowed) <= 0) return undefined;
  return `${r.dir} has an empty graph while ${r.shadowed} holds one; move ${r.dir} away to use ${r.shadowed}`;
}
