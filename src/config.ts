/**
 * `.wg/config.toml`, validated at the boundary (SPEC §9) and resolved once into a typed object.
 *
 * The Rust tool's config file is read too (docs/rust-compat.md §4): its legacy `[coordinator]`
 * table is folded into `[dispatcher]`; its keys that have a wg equivalent are mapped, with their
 * units (`[agent] heartbeat_timeout` in minutes, `poll_interval` in whole seconds…), unless the
 * file sets wg's own key; every other key it knows is accepted and reported as ignored by wg
 * (`wg config lint`). A key neither tool knows is an error naming the key, the file and the
 * line; a bad value names the expected form; a TOML syntax error its line and column.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod/mini';
import { rustConfigKnows } from './compat/rust-config-rules.js';
import { WgError } from './core/errors.js';
import { parseDurationMs } from './core/time.js';
import { describeIssue, valueAt } from './store/validation.js';

const duration = z.string().check(z.refine((s) => parseDurationMs(s) !== undefined, { message: 'expected a duration like "500ms", "5s", "30m", "1h"' }));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.gte(min), z.lte(max));
/** `poll_interval`: wg's duration, or whole seconds (the Rust tool's type). */
const durationOrSeconds = z.union([duration, int(0)]);

const executorSchema = z.strictObject({
  command: z.array(z.string()).check(z.minLength(1)),
  env: z.optional(z.record(z.string(), z.string())),
  prompt_on_stdin: z.optional(z.boolean()),
});

const dispatcherShape = {
  max_agents: z._default(int(0, 1000), 4),
  poll_interval: z._default(durationOrSeconds, '5s'),
  executor: z._default(z.string().check(z.minLength(1)), 'claude'),
  model: z.optional(z.string()),
  agent_timeout: z._default(duration, '30m'),
  heartbeat_timeout: z._default(duration, '60s'),
  kill_grace: z._default(duration, '5s'),
  retry_debounce: z._default(duration, '10s'),
  settling_delay: z._default(duration, '500ms'),
  max_retries: z.optional(int(0)),
  paused: z._default(z.boolean(), false),
};

const agencyShape = {
  auto_evaluate: z._default(z.boolean(), false),
  eval_gate_threshold: z._default(z.number().check(z.gte(0), z.lte(1)), 0.7),
  max_eval_rescues: z._default(int(0), 3),
  evaluator: z.optional(z.array(z.string()).check(z.minLength(1))),
  evaluator_model: z.optional(z.string().check(z.minLength(1))),
  evaluator_timeout: z._default(duration, '5m'),
};

export const configSchema = z.strictObject({
  dispatcher: z.prefault(z.strictObject(dispatcherShape), {}),
  agency: z.prefault(z.strictObject(agencyShape), {}),
  executors: z._default(z.record(z.string(), executorSchema), {}),
});

export type Config = z.infer<typeof configSchema>;

/** wg's own keys (the Rust tool knows some of them by the same name and type). */
const WG_KEYS: Record<'dispatcher' | 'agency', readonly string[]> = { dispatcher: Object.keys(dispatcherShape), agency: Object.keys(agencyShape) };
const isWgKey = (path: readonly string[]): boolean => {
  const [section, name] = path;
  if (section === 'executors') return true;
  if (section !== 'dispatcher' && section !== 'agency') return false;
  return path.length === 1 || (path.length === 2 && WG_KEYS[section].includes(name!));
};

/** A key of the Rust tool with a wg equivalent: where it goes, and its value in wg's terms. */
interface Mapping {
  to: `${'dispatcher' | 'agency'}.${string}`;
  /** The wg value, or the expected form when the value is not the Rust tool's type. */
  convert: (v: unknown) => { value: unknown } | { expected: string };
  unit?: string;
}
const wholeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const asString = (v: unknown): { value: unknown } | { expected: string } => (typeof v === 'string' ? { value: v } : { expected: 'a string' });
const RUST_MAPPINGS: Record<string, Mapping> = {
  'agent.executor': { to: 'dispatcher.executor', convert: asString },
  'agent.model': { to: 'dispatcher.model', convert: asString },
  'agent.heartbeat_timeout': { to: 'dispatcher.heartbeat_timeout', unit: 'minutes', convert: (v) => (wholeNumber(v) ? { value: `${v}m` } : { expected: 'whole minutes (an integer)' }) },
  'dispatcher.safety_interval': { to: 'dispatcher.poll_interval', unit: 'seconds', convert: (v) => (wholeNumber(v) ? { value: v } : { expected: 'whole seconds (an integer)' }) },
  'dispatcher.settling_delay_ms': { to: 'dispatcher.settling_delay', unit: 'milliseconds', convert: (v) => (wholeNumber(v) ? { value: `${v}ms` } : { expected: 'milliseconds (an integer)' }) },
  'dispatcher.max_verify_failures': { to: 'agency.max_eval_rescues', convert: (v) => (wholeNumber(v) ? { value: v } : { expected: 'an integer' }) },
  'dispatcher.max_eval_rescues': { to: 'agency.max_eval_rescues', convert: (v) => (wholeNumber(v) ? { value: v } : { expected: 'an integer' }) },
};

/**
 * Keys the Rust tool used to know (read in its history) and now ignores silently: accepted as
 * obsolete, since old project configs still carry them. A trailing `.` covers a whole table.
 */
const RUST_OBSOLETE = [
  'agent.command_template', 'dispatcher.heartbeat_interval', 'dispatcher.heartbeat_quiet_grace_secs', 'dispatcher.notify_matrix',
  'dispatcher.trial_budget_secs', 'agency.assigner_model', 'agency.creator_model', 'agency.evolver_model', 'agency.triage_model',
  'agency.flip_verification_model', 'agency.min_exploration_rate', 'agency.performance_threshold', 'agency.run_mode', 'agency.org_reward.',
  'native_executor.web.search_backend', 'tui.default_view',
];

export type KeyUse = 'wg' | 'mapped' | 'ignored' | 'obsolete';

export interface ConfigKey {
  /** Dotted path as written (after `[coordinator]` is folded into `[dispatcher]`). */
  key: string;
  line?: number;
  use: KeyUse;
  /** For a mapped key: the wg setting it sets, or why it does not (wg's own key wins). */
  note?: string;
}

export interface ConfigReport {
  file: string;
  keys: ConfigKey[];
  notes: string[];
  /** Where each wg setting that is not a default came from (`dispatcher.poll_interval` → `config.toml:3 [agent] …`). */
  sources: Record<string, string>;
}

export const DEFAULT_CONFIG_TOML = `# workgraph configuration — see docs/configuration.md
# Also loadable by the Rust tool (graphwork/workgraph), which ignores the keys it does not know.
[dispatcher]
max_agents = 4
poll_interval = 5          # seconds (a whole number, as the Rust tool reads it)
executor = "claude"        # shell | claude | codex | <custom from [executors.NAME]>
agent_timeout = "30m"
heartbeat_timeout = "60s"
kill_grace = "5s"
retry_debounce = "10s"
settling_delay = "500ms"

[agency]
auto_evaluate = false
`;

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The line of `[a.b] c = …` (or a dotted `b.c = …` under `[a]`), for messages. Approximate, never wrong about the key's name. */
export function keyLine(text: string, path: readonly string[]): number | undefined {
  const lines = text.split('\n');
  let table: string[] = [];
  const bare = (s: string): string[] => s.split('.').map((p) => p.trim().replace(/^["']|["']$/g, ''));
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(l);
    if (header) {
      table = bare(header[1]!);
      const full = table.join('.');
      if (full === path.join('.')) return i + 1;
      continue;
    }
    const kv = /^([A-Za-z0-9_.\-"' ]+?)\s*=/.exec(l);
    if (!kv) continue;
    const full = [...table, ...bare(kv[1]!)];
    if (full.join('.') === path.join('.') || (full.length < path.length && path.slice(0, full.length).join('.') === full.join('.'))) return i + 1;
  }
  return undefined;
}

function invalid(file: string, line: number | undefined, what: string, hint = 'see docs/configuration.md'): WgError {
  return new WgError('invalid_config', `${file}${line ? `:${line}` : ''}: ${what}`, { hint });
}

/** Leaf key paths of a TOML table; arrays (of tables too) and `[executors.*]` count as one value. */
function leaves(t: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(t)) {
    const p = [...prefix, k];
    if (isTable(v) && !(prefix.length === 0 && k === 'executors') && Object.keys(v).length) out.push(...leaves(v, p));
    else out.push(p);
  }
  return out;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let t = root;
  for (const k of path.slice(0, -1)) t = (t[k] ??= {}) as Record<string, unknown>;
  t[path.at(-1)!] = value;
}

/** config.toml → wg's config and a report of what was done with every key. */
export function readConfig(text: string, file: string): { config: Config; report: ConfigReport } {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const where = e instanceof TomlError ? `:${e.line}:${e.column}` : '';
    const what = (e as Error).message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new WgError('invalid_config', `${file}${where}: invalid TOML: ${what}`, { hint: 'fix the syntax at that line and column' });
  }
  const report: ConfigReport = { file, keys: [], notes: [], sources: {} };
  const lineOf = (path: readonly string[], legacy = false): number | undefined => keyLine(text, legacy ? ['coordinator', ...path.slice(1)] : path);
  // The Rust tool's legacy name of [dispatcher]: folded in, [dispatcher] winning key by key.
  const fromCoordinator = new Set<string>();
  if ('coordinator' in raw) {
    const legacy = raw.coordinator;
    if (!isTable(legacy)) throw invalid(file, lineOf(['coordinator']), `[coordinator] must be a table`);
    const current = isTable(raw.dispatcher) ? raw.dispatcher : {};
    for (const k of Object.keys(legacy)) if (!(k in current)) fromCoordinator.add(k);
    raw = { ...raw, dispatcher: { ...legacy, ...current } };
    delete raw.coordinator;
    report.notes.push('[coordinator] is the Rust tool\'s legacy name of [dispatcher]: read as [dispatcher]');
  }
  const wg: Record<string, unknown> = {};
  const mapped: Array<{ path: string[]; m: Mapping; line: number | undefined }> = [];
  /** The key as the file spells it (a folded `[coordinator]` key keeps its table's name). */
  const spelled = (path: readonly string[]): string => (path[0] === 'dispatcher' && fromCoordinator.has(path[1]!) ? ['coordinator', ...path.slice(1)] : path).join('.');
  for (const path of leaves(raw)) {
    const key = spelled(path);
    const line = lineOf(path, path[0] === 'dispatcher' && fromCoordinator.has(path[1]!));
    const value = valueAt(raw, path);
    if (isWgKey(path)) {
      setPath(wg, path, value);
      report.keys.push({ key, ...(line ? { line } : {}), use: 'wg' });
      report.sources[path.join('.')] = `${file}${line ? `:${line}` : ''}`;
      continue;
    }
    const m = RUST_MAPPINGS[path.join('.')];
    if (m) {
      mapped.push({ path, m, line });
      continue;
    }
    if (rustConfigKnows(path)) report.keys.push({ key, ...(line ? { line } : {}), use: 'ignored' });
    else if (RUST_OBSOLETE.some((o) => (o.endsWith('.') ? path.join('.').startsWith(o) : path.join('.') === o))) report.keys.push({ key, ...(line ? { line } : {}), use: 'obsolete' });
    else throw invalid(file, line, `unknown key '${key}'`, 'see docs/configuration.md for the keys that exist (the Rust tool\'s keys are accepted too)');
  }
  for (const { path, m, line } of mapped) {
    const key = spelled(path);
    const where = `${file}${line ? `:${line}` : ''}`;
    const to = m.to.split('.');
    const r = m.convert(valueAt(raw, path));
    if ('expected' in r) throw invalid(file, line, `${key}: expected ${r.expected}, got ${JSON.stringify(valueAt(raw, path))}`);
    if (valueAt(wg, to) !== undefined) {
      report.keys.push({ key, ...(line ? { line } : {}), use: 'mapped', note: `not used: ${m.to} is set` });
      continue;
    }
    setPath(wg, to, r.value);
    report.keys.push({ key, ...(line ? { line } : {}), use: 'mapped', note: `→ ${m.to}${m.unit ? ` (${m.unit})` : ''}` });
    report.sources[m.to] = `${where} (${key}${m.unit ? `, ${m.unit}` : ''})`;
  }
  // The Rust tool derives the executor from the model's provider when none is set.
  const d = wg.dispatcher as Record<string, unknown> | undefined;
  if (d && d.executor === undefined && typeof d.model === 'string') {
    const executor = { claude: 'claude', codex: 'codex', openai: 'codex' }[d.model.split(':')[0]!];
    if (executor && d.model.includes(':')) {
      d.executor = executor;
      report.sources['dispatcher.executor'] = `${report.sources['dispatcher.model']} (the provider of the model)`;
    }
  }
  const r = configSchema.safeParse(wg);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String);
    const line = report.keys.find((k) => k.key === spelled(path))?.line ?? lineOf(path);
    throw invalid(file, line, describeIssue(issue, valueAt(wg, issue.path)));
  }
  return { config: r.data, report };
}

export const parseConfig = (text: string, file: string): Config => readConfig(text, file).config;

export function readConfigFile(path: string): { config: Config; report: ConfigReport; text: string } {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { ...readConfig(text, path), text };
}

export const loadConfig = (path: string): Config => readConfigFile(path).config;

export interface ResolvedDispatcher {
  maxAgents: number;
  pollIntervalMs: number;
  executor: string;
  model: string | undefined;
  agentTimeoutMs: number;
  heartbeatTimeoutMs: number;
  killGraceMs: number;
  retryDebounceMs: number;
  settlingDelayMs: number;
}

/** A duration setting in ms: a duration string, or a bare number of seconds (the Rust tool's unit). */
export const durationMs = (v: string | number): number => (typeof v === 'number' ? v * 1000 : parseDurationMs(v)!);

export function resolveDispatcher(c: Config): ResolvedDispatcher {
  const d = c.dispatcher;
  return {
    maxAgents: d.max_agents,
    pollIntervalMs: durationMs(d.poll_interval),
    executor: d.executor,
    model: d.model,
    agentTimeoutMs: durationMs(d.agent_timeout),
    heartbeatTimeoutMs: durationMs(d.heartbeat_timeout),
    killGraceMs: durationMs(d.kill_grace),
    retryDebounceMs: durationMs(d.retry_debounce),
    settlingDelayMs: durationMs(d.settling_delay),
  };
}
