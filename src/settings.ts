/**
 * Settings, resolved once: `.wg/config.toml` (validated by config.ts) with every default applied,
 * durations in milliseconds, and the service's command-line overrides on top. The CLI context
 * (on first use: commands that never need the config never parse it) and the daemon (in its
 * constructor) build one `Settings` and hand it down; no other code reads config.toml or
 * re-applies a default. As graphile-worker's compiled options: resolve first, pass explicitly.
 */
import { loadConfig, resolveDispatcher, type Config, type ResolvedDispatcher } from './config.js';
import { DEFAULT_MAX_RETRIES } from './core/plans/agent-death.js';
import type { Task } from './core/task.js';
import { parseDurationMs } from './core/time.js';

/** `wg service start` flags that override the config (kept in state.json for `restart`). */
export interface ServiceOverrides {
  max_agents?: number;
  poll_interval_ms?: number;
  executor?: string;
  model?: string;
}

export interface DispatcherSettings extends ResolvedDispatcher {
  /** Re-queues a task may take when it has no `max_retries` of its own. */
  maxRetries: number;
  /** The configured start state; `service pause`/`resume` (dispatcher.json) win at run time. */
  paused: boolean;
}

export interface AgencySettings {
  autoEvaluate: boolean;
  evalGateThreshold: number;
  maxEvalRescues: number;
  /** A custom evaluator command (`{task_id}`, `{model}` placeholders); absent: the Claude CLI. */
  evaluator: string[] | undefined;
  evaluatorModel: string | undefined;
  evaluatorTimeoutMs: number;
}

export type ExecutorSettings = Config['executors'];

export interface Settings {
  dispatcher: DispatcherSettings;
  agency: AgencySettings;
  /** Custom executors (`[executors.NAME]`). */
  executors: ExecutorSettings;
  /** The overrides these settings include (empty outside the service). */
  overrides: ServiceOverrides;
  /** The validated file these settings come from (for `wg config`-like views; rules read the fields above). */
  config: Config;
}

export function resolveSettings(config: Config, overrides: ServiceOverrides = {}): Settings {
  const d = resolveDispatcher(config);
  const a = config.agency;
  return {
    dispatcher: {
      ...d,
      maxAgents: overrides.max_agents ?? d.maxAgents,
      pollIntervalMs: overrides.poll_interval_ms ?? d.pollIntervalMs,
      executor: overrides.executor ?? d.executor,
      model: overrides.model ?? d.model,
      maxRetries: config.dispatcher.max_retries ?? DEFAULT_MAX_RETRIES,
      paused: config.dispatcher.paused,
    },
    agency: {
      autoEvaluate: a.auto_evaluate,
      evalGateThreshold: a.eval_gate_threshold,
      maxEvalRescues: a.max_eval_rescues,
      evaluator: a.evaluator,
      evaluatorModel: a.evaluator_model,
      evaluatorTimeoutMs: parseDurationMs(a.evaluator_timeout)!,
    },
    executors: config.executors,
    overrides: { ...overrides },
    config,
  };
}

/** The one place config.toml is read (a missing file is an empty one: every default). */
export function loadSettings(configPath: string, overrides: ServiceOverrides = {}): Settings {
  return resolveSettings(loadConfig(configPath), overrides);
}

/**
 * An agent's hard timeout (SPEC §4): the task's own `timeout`, else `agent_timeout`; 0 = none.
 * One function for the spawn (its deadline) and for re-adoption after a restart.
 */
export function hardTimeoutMs(task: Pick<Task, 'timeout'> | undefined, dispatcher: Pick<DispatcherSettings, 'agentTimeoutMs'>): number {
  return (task?.timeout ? parseDurationMs(task.timeout) : undefined) ?? dispatcher.agentTimeoutMs;
}

/** How long a task's verify command may run: the task's own `verify_timeout`, else the setting. */
export function verifyTimeoutMs(task: Pick<Task, 'verify_timeout'> | undefined, dispatcher: Pick<DispatcherSettings, 'verifyTimeoutMs'>): number {
  const own = typeof task?.verify_timeout === 'string' ? parseDurationMs(task.verify_timeout) : undefined;
  return own ?? dispatcher.verifyTimeoutMs;
}
