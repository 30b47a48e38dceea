/**
 * What every command needs, resolved once from flags and environment: where the graph is,
 * who is acting, the clock, the settings, and how to print. Commands receive it; nothing reads
 * globals.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { usageError } from '../core/errors.js';
import type { Graph } from '../core/graph.js';
import type { Actor, Plan } from '../core/plan.js';
import { systemClock, type Clock } from '../core/time.js';
import type { ServiceOverrides, Settings } from '../settings.js';
import { emptyShadowWarning, findWgResolution, pathsFor, type WgPaths } from '../store/paths.js';
import { JsonlStore } from '../store/store.js';
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
      if (!/^\d+$/.test(epochText)) throw usageError(`invalid WG_CLAIM_EPOCH '${epochText}'`, 'it must be a non-negative integer (set by the service)');
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

  /** Prints a JSON value (with --json) or the human text. */
  out(jsonValue: unknown, human: () => string | string[]): void {
    if (this.json) {
      process.stdout.write(JSON.stringify(jsonValue, null, 2) + '\n');
      return;
    }
    const text = human();
    const s = Array.isArray(text) ? text.join('\n') : text;
    if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  /** A note on stderr (never with --json, which keeps stdout machine-readable). */
  note(text: string): void {
    if (!this.json) process.stderr.write(text + '\n');
  }

  /**
   * Runs a pure plan under the graph lock and applies it; kicks a running service when the
   * graph changed. Returns the plan's result.
   */
  async mutate<R>(who: Actor, plan: (graph: Graph) => Plan<R>): Promise<R> {
    // (The store refuses a new task whose id a resource or unknown-kind line owns.)
    const outcome = await this.store().mutate(plan, { now: who.now, actor: who.actor, ...(who.user ? { user: who.user } : {}) });
    if (outcome.written) this.kick();
    return outcome.result;
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
