/**
 * `.wg/config.toml`, validated strictly at the boundary (SPEC §9): an unknown key names the key
 * and the file; a bad value names the expected form. Resolved once into a typed object.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod/mini';
import { WgError } from './core/errors.js';
import { parseDurationMs } from './core/time.js';
import { describeIssue, valueAt } from './store/validation.js';

const duration = z.string().check(z.refine((s) => parseDurationMs(s) !== undefined, { message: 'expected a duration like "500ms", "5s", "30m", "1h"' }));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.gte(min), z.lte(max));

const executorSchema = z.strictObject({
  command: z.array(z.string()).check(z.minLength(1)),
  env: z.optional(z.record(z.string(), z.string())),
  prompt_on_stdin: z.optional(z.boolean()),
});

export const configSchema = z.strictObject({
  dispatcher: z.prefault(
    z.strictObject({
      max_agents: z._default(int(0, 1000), 4),
      poll_interval: z._default(duration, '5s'),
      executor: z._default(z.string().check(z.minLength(1)), 'claude'),
      model: z.optional(z.string()),
      agent_timeout: z._default(duration, '30m'),
      idle_timeout: z._default(duration, '10m'),
      heartbeat_timeout: z._default(duration, '60s'),
      kill_grace: z._default(duration, '5s'),
      retry_debounce: z._default(duration, '10s'),
      settling_delay: z._default(duration, '500ms'),
      max_retries: z.optional(int(0)),
      paused: z._default(z.boolean(), false),
    }),
    {},
  ),
  agency: z.prefault(
    z.strictObject({
      auto_evaluate: z._default(z.boolean(), false),
      eval_gate_threshold: z._default(z.number().check(z.gte(0), z.lte(1)), 0.7),
      max_eval_rescues: z._default(int(0), 3),
      evaluator: z.optional(z.array(z.string()).check(z.minLength(1))),
      evaluator_model: z.optional(z.string().check(z.minLength(1))),
      evaluator_timeout: z._default(duration, '5m'),
    }),
    {},
  ),
  executors: z._default(z.record(z.string(), executorSchema), {}),
});

export type Config = z.infer<typeof configSchema>;

export interface ResolvedDispatcher {
  maxAgents: number;
  pollIntervalMs: number;
  executor: string;
  model: string | undefined;
  agentTimeoutMs: number;
  /** An agent with no output, no wg call and no CPU for this long is hung (0 = never). */
  idleTimeoutMs: number;
  heartbeatTimeoutMs: number;
  killGraceMs: number;
  retryDebounceMs: number;
  settlingDelayMs: number;
}

export const DEFAULT_CONFIG_TOML = `# workgraph configuration — see docs/configuration.md
[dispatcher]
max_agents = 4
poll_interval = "5s"
executor = "claude"        # shell | claude | codex | <custom from [executors.NAME]>
agent_timeout = "30m"
idle_timeout = "10m"       # no output, no wg call, no CPU this long: hung, killed, re-queued ("0": off)
heartbeat_timeout = "60s"
kill_grace = "5s"
retry_debounce = "10s"
settling_delay = "500ms"

[agency]
auto_evaluate = false
`;

export function parseConfig(text: string, file: string): Config {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new WgError('invalid_config', `${file}: invalid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new WgError('invalid_config', `${file}: ${describeIssue(issue)}`, { hint: 'see docs/configuration.md for the keys that exist' });
  }
  throw new WgError('invalid_config', `${file}: ${describeIssue(issue, valueAt(raw, issue.path))}`, { hint: 'see docs/configuration.md' });
}

export function loadConfig(path: string): Config {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return parseConfig(text, path);
}

export function resolveDispatcher(c: Config): ResolvedDispatcher {
  const d = c.dispatcher;
  const ms = (s: string): number => parseDurationMs(s)!;
  return {
    maxAgents: d.max_agents,
    pollIntervalMs: ms(d.poll_interval),
    executor: d.executor,
    model: d.model,
    agentTimeoutMs: ms(d.agent_timeout),
    idleTimeoutMs: ms(d.idle_timeout),
    heartbeatTimeoutMs: ms(d.heartbeat_timeout),
    killGraceMs: ms(d.kill_grace),
    retryDebounceMs: ms(d.retry_debounce),
    settlingDelayMs: ms(d.settling_delay),
  };
}
