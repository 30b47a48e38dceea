/**
 * What every command needs, resolved once from flags and environment: where the graph is,
 * who is acting, the clock, the settings, and how to print. Commands receive it; nothing reads
 * globals.
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { usageError } from '../core/errors.js';
import type { Graph } from '../core/graph.js';
import type { Actor, Plan } from '../core/plan.js';
import type { ClaimResult } from '../core/plans/claim.js';
import { systemClock, type Clock } from '../core/time.js';
import type { ServiceOverrides, Settings } from '../settings.js';
import { guardHuman, oneLine } from '../render/escape.js';
import { emptyShadowWarning, findWgResolution, pathsFor, type WgPaths } from '../store/paths.js';
import { JsonlStore } from '../store/store.js';
import { storeUrl } from '../store-url.js';
import type { PgStore } from '../store/pg/pg-store.js';
import type { Registry } from '../store/registry.js';
import { kickService } from './kick.js';

export interface GlobalOptions {
  json?: boolean;
  dir?: string;
}

export class CliContext {
  readonly json: boolean;
  readonly dirFlag: string | undefined;
  private cachedPaths: WgPaths | undefined;
  private cachedSettings: Promise<Settings> | undefined;

  constructor(
    opts: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly clock: Clock = systemClock,
  ) {
    this.json = !!opts.json;
    this.dirFlag = opts.dir;
  }

  static from(cmd: Command): CliContext {
    return new CliContext(cmd.optsWithGlobals() as GlobalOptions);
  }

  get paths(): WgPaths {
    if (!this.cachedPaths) {
      const found = findWgResolution({ dir: this.dirFlag, env: this.env });
      const trap = emptyShadowWarning(found);
      if (trap) this.note(`warning: ${trap}`);
      this.cachedPaths = pathsFor(found.dir);
    }
    return this.cachedPaths;
  }

  store(): JsonlStore {
    return new JsonlStore(this.paths, { warn: (m) => this.warnOnce(m) });
  }

  private readonly warned = new Set<string>();
  /** A read's warning (a repeated id in graph.jsonl), printed once per command. */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.note(`warning: ${message}`);
  }

  private pgStore: Promise<PgStore | undefined> | undefined;

  /**
   * The PostgreSQL store when the project names one (`$WG_STORE_URL`, `[store] url`), else
   * undefined (the JSONL store). Loaded and connected once, on first use.
   */
  pg(): Promise<PgStore | undefined> {
    return (this.pgStore ??= (async () => {
      const url = await storeUrl(this.paths, this.env);
      if (!url) return undefined;
      const { PgStore } = await import('../store/pg/pg-store.js');
      return PgStore.open(url, { name: `wg ${this.env.WG_HOST_ID ?? ''}`.trim(), exitOnIdle: true, maxConnections: 1, ...(this.hostClock ? { hostClock: this.hostClock } : {}) });
    })());
  }

  /** Tests skew a host's clock ($WG_CLOCK_SKEW_MS) to show that the PostgreSQL store never trusts it. */
  private get hostClock(): Clock | undefined {
    const skew = Number(this.env.WG_CLOCK_SKEW_MS);
    if (!skew) return undefined;
    const base = this.clock;
    return { now: () => new Date(base.now().getTime() + skew) };
  }

  /**
   * The graph for a read-only command: rows when `rows` (readiness, structure), else whole tasks.
   * With rows, `get()` returns whole tasks only for the ids in `whole` on every store (the JSONL
   * index reads any task; PostgreSQL fetches just these with the rows).
   */
  async graph(opts: { rows?: boolean; whole?: readonly string[] } = {}): Promise<Graph> {
    const pg = await this.pg();
    if (!pg) return opts.rows ? this.store().loadFast() : this.store().load().graph;
    return opts.rows ? pg.loadRows(opts.whole) : pg.load();
  }

  /**
   * Every task, any of them readable whole: the JSONL index (whole tasks parsed on demand) or
   * PostgreSQL's whole load — for read-only commands that look at many tasks' fields.
   */
  async fullGraph(): Promise<Graph> {
    const pg = await this.pg();
    return pg ? pg.load() : this.store().loadFast();
  }

  /**
   * Refuses a command that works on the JSONL store's files only when the project's store is
   * PostgreSQL: one line naming the store and the way out, exit 2, nothing read or changed.
   * Decided from the configuration alone (no connection).
   */
  async jsonlOnly(command: string, why: string): Promise<void> {
    if (!(await storeUrl(this.paths, this.env))) return;
    throw usageError(`wg ${command} works on the JSONL store only (${why}); this project's store is PostgreSQL`, "use it in a JSONL project ('wg export --to graph.jsonl' copies the graph out)");
  }

  /** This host's id: $WG_HOST_ID, else the host name (agents are registered and judged by it). */
  get host(): string {
    return this.env.WG_HOST_ID || hostname();
  }

  /** The agent registry: service/registry.json, or every host's agents with PostgreSQL. */
  async registry(): Promise<Registry> {
    const pg = await this.pg();
    if (!pg) return (await import('../store/registry.js')).readRegistry(this.paths);
    const { PgRegistry } = await import('../store/pg/registry.js');
    return (await new PgRegistry(pg.pool, this.host).read()).registry;
  }

  /** Read-modify-write of the registry (the file's lock, or PostgreSQL's advisory lock). */
  async updateRegistry<R>(fn: (reg: Registry) => R): Promise<R> {
    const pg = await this.pg();
    if (!pg) return (await import('../store/registry.js')).updateRegistry(this.paths, fn);
    const { PgRegistry } = await import('../store/pg/registry.js');
    return new PgRegistry(pg.pool, this.host).update(fn);
  }

  /** `now` as the store judges it: the database's clock with PostgreSQL, else this host's. */
  async now(): Promise<Date> {
    const pg = await this.pg();
    return pg ? pg.clock.now() : this.clock.now();
  }

  /**
   * The settings (config.toml with every default, resolved once, src/settings.ts). Loaded on
   * first use, and the config code itself is loaded only then: most commands an agent runs
   * (`wg log`, `wg done`, …) never pay for parsing TOML.
   */
  settings(overrides?: ServiceOverrides): Promise<Settings> {
    this.cachedSettings ??= import('../settings.js').then((m) => m.loadSettings(this.paths.config));
    if (!overrides || !Object.keys(overrides).length) return this.cachedSettings;
    return Promise.all([this.cachedSettings, import('../settings.js')]).then(([s, m]) => m.resolveSettings(s.config, overrides));
  }

  /** The human behind the command. */
  get user(): string | undefined {
    return this.env.WG_USER || this.env.USER || safeUserName();
  }

  /** Acting identity: --actor, else $WG_AGENT_ID, else $WG_USER, else $USER (SPEC §3). */
  actor(explicit?: string): Actor {
    const agentId = this.env.WG_AGENT_ID || undefined;
    const fenceTaskId = this.env.WG_TASK_ID || undefined;
    const epochText = this.env.WG_CLAIM_EPOCH;
    let fenceEpoch: number | undefined;
    if (epochText !== undefined && epochText !== '') {
      if (!/^\d+$/.test(epochText) || !Number.isSafeInteger(Number(epochText))) throw usageError(`invalid WG_CLAIM_EPOCH '${epochText}'`, 'it must be a non-negative integer (set by the service)');
      fenceEpoch = Number(epochText);
    }
    const who: Actor = {
      now: this.clock.now(),
      actor: explicit || agentId || this.user || 'unknown',
    };
    const user = this.user;
    if (user) who.user = user;
    if (agentId) who.agentId = agentId;
    if (fenceTaskId) who.fenceTaskId = fenceTaskId;
    if (fenceEpoch !== undefined) who.fenceEpoch = fenceEpoch;
    return who;
  }

  /**
   * Prints a JSON value (with --json, exact) or the human text: lines (an array: one element per
   * line) or a text. Control characters from user data are escaped on the way (guardHuman);
   * `painted` keeps the colour codes of a renderer that escapes its fields itself.
   */
  out(jsonValue: unknown, human: () => string | string[], opts: { painted?: boolean } = {}): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(jsonValue, null, 2) + '\n');
      return;
    }
    const s = guardHuman(human(), opts);
    if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  /** A note on stderr (never with --json, which keeps stdout machine-readable). */
  note(text: string): void {
    if (!this.json) process.stderr.write(oneLine(text) + '\n');
  }

  /** A warning on stderr, with --json too (stdout stays machine-readable). */
  warn(text: string): void {
    process.stderr.write(`warning: ${oneLine(text)}\n`);
  }

  /**
   * Runs a pure plan under the graph lock and applies it; kicks a running service when the
   * graph changed. Returns the plan's result.
   */
  async mutate<R>(who: Actor, plan: (graph: Graph) => Plan<R>): Promise<R> {
    const pg = await this.pg();
    if (pg) {
      // With PostgreSQL, time is the database's: hosts whose clocks disagree still agree on it.
      who.now = pg.clock.now();
      return (await pg.mutate(plan, { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) })).result;
    }
    // (The store refuses a new task whose id a resource or unknown-kind line owns.)
    const outcome = await this.store().mutate(plan, { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) });
    // After the commit the change stands: what failed then is a warning, and the command succeeds.
    for (const w of outcome.warnings ?? []) this.warn(w);
    if (outcome.written) this.kick();
    return outcome.result;
  }

  /**
   * `claim --next`: with PostgreSQL, contenders on every host skip each other's rows
   * (FOR UPDATE SKIP LOCKED) instead of queueing on one lock; with JSONL, the graph lock.
   */
  async claimNext(who: Actor): Promise<ClaimResult | undefined> {
    const pg = await this.pg();
    if (!pg) {
      const { planClaimNext } = await import('../core/plans/claim.js');
      return this.mutate(who, (g) => planClaimNext(g, who));
    }
    who.now = pg.clock.now();
    return pg.claimNext(who, { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) });
  }

  /** Best-effort nudge to a running service after a graph change. */
  kick(): void {
    kickService(this.paths);
  }
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

export const useColor = (): boolean => !!process.stdout.isTTY && !process.env.NO_COLOR;
