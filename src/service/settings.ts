/**
 * The service's settings, resolved once when the daemon is built (config.toml with every
 * default, then the `service start` overrides) and handed to every step: no step reads the
 * config or re-applies a default.
 */
import { resolveDispatcher, type Config, type ResolvedDispatcher } from '../config.js';
import { DEFAULT_MAX_RETRIES } from '../core/liveness.js';
import type { ServiceOverrides } from './service-files.js';

export interface ServiceSettings extends ResolvedDispatcher {
  maxRetries: number;
  /** `dispatcher.paused` from the config (dispatcher.json, written by pause/resume, wins). */
  paused: boolean;
  agency: Config['agency'];
  overrides: ServiceOverrides;
}

export function resolveServiceSettings(config: Config, overrides: ServiceOverrides = {}): ServiceSettings {
  const d = resolveDispatcher(config);
  return {
    ...d,
    maxAgents: overrides.max_agents ?? d.maxAgents,
    pollIntervalMs: overrides.poll_interval_ms ?? d.pollIntervalMs,
    executor: overrides.executor ?? d.executor,
    model: overrides.model ?? d.model,
    maxRetries: config.dispatcher.max_retries ?? DEFAULT_MAX_RETRIES,
    paused: config.dispatcher.paused,
    agency: config.agency,
    overrides,
  };
}
