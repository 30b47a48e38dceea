/**
 * Would the Rust tool (graphwork/workgraph @6617ef03) load this file? The rules as read in its
 * source — graph lines (`src/graph.rs` Node/TaskHelper/Status/FailureClass…, `src/parser.rs`
 * load_graph_inner), the agent registry (`src/service/registry.rs`) and the service state
 * (`src/commands/service/mod.rs` ServiceState) — written down here as data, not copied code;
 * docs/rust-compat.md says where each rule comes from. config.toml: rust-config-rules.ts.
 *
 * Used to check that every file wg writes stays loadable by the Rust tool.
 */
import { JsonSyntaxError, lastEntry, parseStrictJson, type JValue } from './rust-json.js';
import { check, describe, nullable, opt, req, T, type RType } from './rust-types.js';

export interface RustProblem {
  /** 1-based line of graph.jsonl (0 for whole-file problems). */
  line: number;
  message: string;
}

export interface RustLoadResult {
  /** The Rust tool loads the file (warnings allowed). */
  ok: boolean;
  /** Each would make it refuse the whole file (it stops at the first; all are listed here). */
  errors: RustProblem[];
  /** Loaded anyway, with a message on stderr (a repeated node id: the last line wins). */
  warnings: RustProblem[];
}

/** On-disk spellings (serde kebab-case of the variant names; the digits stay attached). */
export const RUST_FAILURE_CLASSES = [
  'api-error400-document',
  'api-error429-rate-limit',
  'api-error5xx-transient',
  'agent-hard-timeout',
  'agent-exit-nonzero',
  'wrapper-internal',
] as const;

export const RUST_STATUSES = ['open', 'in-progress', 'waiting', 'done', 'blocked', 'failed', 'abandoned', 'pending-validation', 'pending-eval', 'failed-pending-eval', 'incomplete'] as const;

export const RUST_AGENT_STATUSES = ['starting', 'working', 'idle', 'stopping', 'parked', 'frozen', 'done', 'failed', 'dead'] as const;

/** `Status` has a hand-written deserializer: a string, one of the list, or legacy `pending-review` (read as done). */
const status = T.enumOf('Status', RUST_STATUSES, ['pending-review']);

/** `loops_to` (deprecated, discarded): a string, null, or an array of anything. */
const loopsTo: RType = {
  k: 'custom',
  name: 'a string or array for loops_to',
  check: (v) => (v.t === 'str' || v.t === 'null' || v.t === 'arr' ? undefined : `invalid type: ${describe(v)}, expected a string or array for loops_to`),
};

/** `LoopGuard`, externally tagged: "Always" | {"Always": null} | {"IterationLessThan": u32} | {"TaskStatus": {task, status}}. */
const taskStatusGuard = T.struct('TaskStatus', { task: req(T.string), status: req(status) });
const loopGuard: RType = {
  k: 'custom',
  name: 'enum LoopGuard',
  check: (v, path) => {
    const variants = '`TaskStatus`, `IterationLessThan`, `Always`';
    if (v.t === 'str') {
      if (v.v === 'Always') return undefined;
      return ['TaskStatus', 'IterationLessThan'].includes(v.v) ? `invalid type: unit variant, expected a ${v.v} variant with data` : `unknown variant \`${v.v}\`, expected one of ${variants}`;
    }
    if (v.t !== 'obj' || v.entries.length !== 1) return `invalid type: ${describe(v)}, expected enum LoopGuard`;
    const [name, inner] = v.entries[0]!;
    if (name === 'Always') return inner.t === 'null' ? undefined : `invalid type: ${describe(inner)}, expected unit variant`;
    if (name === 'IterationLessThan') return check(T.u32, inner, '')[0];
    if (name === 'TaskStatus') return check(taskStatusGuard, inner, '')[0];
    return `unknown variant \`${name}\`, expected one of ${variants}`;
  },
};

const cycleConfig = T.struct('CycleConfig', {
  max_iterations: req(T.u32),
  guard: nullable(loopGuard),
  delay: nullable(T.string),
  no_converge: opt(T.bool),
  restart_on_failure: opt(T.bool),
  max_failure_restarts: nullable(T.u32),
});

/** `WaitCondition`, internally tagged by `type` (kebab-case). */
const waitConditionVariants: Record<string, RType> = {
  'task-status': T.struct('TaskStatus', { task_id: req(T.string), status: req(status) }),
  'timer': T.struct('Timer', { resume_after: req(T.string) }),
  'human-input': T.struct('HumanInput', {}),
  'message': T.struct('Message', {}),
  'file-changed': T.struct('FileChanged', { path: req(T.string), mtime_at_wait: req(T.u64) }),
};
const waitCondition: RType = {
  k: 'custom',
  name: 'internally tagged enum WaitCondition',
  check: (v) => taggedVariant(v, 'type', waitConditionVariants, 'WaitCondition'),
};
/** `WaitSpec`, adjacently tagged: {"mode": "all"|"any", "conditions": [WaitCondition…]}. */
const waitSpec: RType = {
  k: 'custom',
  name: 'adjacently tagged enum WaitSpec',
  check: (v) => {
    if (v.t !== 'obj') return `invalid type: ${describe(v)}, expected adjacently tagged enum WaitSpec`;
    const modes = v.entries.filter(([k]) => k === 'mode');
    const conds = v.entries.filter(([k]) => k === 'conditions');
    if (modes.length > 1) return 'duplicate field `mode`';
    if (conds.length > 1) return 'duplicate field `conditions`';
    if (!modes.length) return 'missing field `mode`';
    const mode = modes[0]![1];
    if (mode.t !== 'str' || !['all', 'any'].includes(mode.v)) return `unknown variant ${describe(mode)}, expected \`all\` or \`any\``;
    if (!conds.length) return 'missing field `conditions`';
    return check(T.vec(waitCondition), conds[0]![1], 'conditions')[0];
  },
};

const logEntry = T.struct('LogEntry', { timestamp: req(T.string), actor: nullable(T.string), user: nullable(T.string), message: req(T.string) });
const tokenUsage = T.struct('TokenUsage', {
  cost_usd: opt(T.f64),
  input_tokens: opt(T.u64),
  output_tokens: opt(T.u64),
  cache_read_input_tokens: opt(T.u64),
  cache_creation_input_tokens: opt(T.u64),
});

const optStrings = [
  'description', 'assigned', 'exec', 'timeout', 'not_before', 'created_at', 'started_at', 'completed_at', 'last_interaction_at',
  'failure_reason', 'model', 'provider', 'endpoint', 'working_dir', 'executor_preset_name', 'verify', 'verify_timeout', 'agent',
  'last_iteration_completed_at', 'ready_after', 'context_scope', 'exec_mode', 'session_id', 'checkpoint', 'last_resurrected_at',
  'validation', 'validator_agent', 'validator_model', 'tier', 'supersedes', 'cron_schedule', 'last_cron_fire', 'next_cron_fire',
];
const stringLists = ['requires', 'tags', 'skills', 'inputs', 'deliverables', 'artifacts', 'command_argv', 'validation_commands', 'tried_models', 'superseded_by', 'place_near', 'place_before'];
const counters = ['retry_count', 'loop_iteration', 'cycle_failure_restarts', 'triage_count', 'resurrection_count', 'gate_attempts', 'rejection_count', 'verify_failures', 'rescue_count', 'meta_eval_attempts', 'spawn_failures', 'dispatch_count'];
const flags = ['paused', 'test_required', 'rescued', 'no_tier_escalation', 'unplaced', 'cron_enabled'];

/** The task as the Rust tool reads it (`TaskHelper`): the fields it knows; every other key is ignored. */
export const rustTask = T.struct('Task', {
  id: req(T.string),
  title: req(T.string),
  status: opt(status),
  // Never refused: an integer, a legacy name, or anything else (read as the default, 10).
  priority: opt(T.any),
  estimate: nullable(T.struct('Estimate', { hours: nullable(T.f64), cost: nullable(T.f64) })),
  before: opt(T.vec(T.string), ['blocks']),
  after: opt(T.vec(T.string), ['blocked_by']),
  log: opt(T.vec(logEntry)),
  max_retries: nullable(T.u32),
  max_rejections: nullable(T.u32),
  failure_class: nullable(T.enumOf('FailureClass', RUST_FAILURE_CLASSES)),
  loops_to: opt(loopsTo),
  cycle_config: nullable(cycleConfig),
  visibility: opt(T.string),
  token_usage: nullable(tokenUsage),
  wait_condition: nullable(waitSpec),
  identity: nullable(T.struct('LegacyIdentity', { role_id: req(T.string), motivation_id: req(T.string) })),
  ...Object.fromEntries(optStrings.map((f) => [f, nullable(T.string)])),
  ...Object.fromEntries(stringLists.map((f) => [f, opt(T.vec(T.string))])),
  ...Object.fromEntries(counters.map((f) => [f, opt(T.u32)])),
  ...Object.fromEntries(flags.map((f) => [f, opt(T.bool)])),
});

export const rustResource = T.struct('Resource', { id: req(T.string), name: nullable(T.string), type: nullable(T.string), available: nullable(T.f64), unit: nullable(T.string) });

/** The variant named by `tag` (serde internally tagged enum: the tag exactly once, a known name), or the problem. */
function tagOf(v: Extract<JValue, { t: 'obj' }>, tag: string, names: readonly string[]): { name: string } | { error: string } {
  const tags = v.entries.filter(([k]) => k === tag);
  if (tags.length > 1) return { error: `duplicate field \`${tag}\`` };
  if (!tags.length) return { error: `missing field \`${tag}\`` };
  const name = tags[0]![1];
  if (name.t !== 'str') return { error: `invalid type: ${describe(name)}, expected variant identifier` };
  if (!names.includes(name.v)) return { error: `unknown variant \`${name.v}\`, expected ${names.map((s) => `\`${s}\``).join(', ')}` };
  return { name: name.v };
}

/** Every problem of a value of an internally tagged enum (tag checked, then the variant's fields). */
function checkTagged(v: JValue, tag: string, variants: Record<string, RType>, enumName: string): string[] {
  if (v.t !== 'obj') return [`invalid type: ${describe(v)}, expected internally tagged enum ${enumName}`];
  const r = tagOf(v, tag, Object.keys(variants));
  if ('error' in r) return [r.error];
  return check(variants[r.name]!, { t: 'obj', entries: v.entries.filter(([k]) => k !== tag) }, '');
}

function taggedVariant(v: JValue, tag: string, variants: Record<string, RType>, enumName: string): string | undefined {
  return checkTagged(v, tag, variants, enumName)[0];
}

/** Rust's `str::trim`: Unicode White_Space (unlike JS `trim`, a BOM is not whitespace, U+0085 is). */
const RUST_WS = '[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
const RUST_TRIM = new RegExp(`^${RUST_WS}+|${RUST_WS}+$`, 'g');
const rustTrim = (s: string): string => s.replace(RUST_TRIM, '');

function decode(input: string | Uint8Array): string | undefined {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return undefined;
  }
}

export interface GraphLineVerdict {
  /** Why the line is passed over: blank, `#` comment, or a legacy `"kind":"actor"` node. */
  skipped?: 'blank' | 'comment' | 'actor';
  kind?: 'task' | 'resource';
  id?: string;
  errors: string[];
}

/** One line of graph.jsonl as `load_graph` reads it (`src/parser.rs::load_graph_inner`). */
export function rustGraphLine(line: string): GraphLineVerdict {
  const trimmed = rustTrim(line);
  if (trimmed === '') return { skipped: 'blank', errors: [] };
  if (trimmed.startsWith('#')) return { skipped: 'comment', errors: [] };
  let v: JValue;
  try {
    v = parseStrictJson(trimmed);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { errors: [e.message] };
    throw e;
  }
  if (v.t !== 'obj') return { errors: [`invalid type: ${describe(v)}, expected internally tagged enum Node`] };
  const lastKind = lastEntry(v, 'kind');
  if (lastKind?.t === 'str' && lastKind.v === 'actor') return { skipped: 'actor', errors: [] };
  const errors = checkTagged(v, 'kind', { task: rustTask, resource: rustResource }, 'Node');
  const kind = lastKind?.t === 'str' && (lastKind.v === 'task' || lastKind.v === 'resource') ? lastKind.v : undefined;
  const idVal = lastEntry(v, 'id');
  return { ...(kind ? { kind } : {}), ...(idVal?.t === 'str' ? { id: idVal.v } : {}), errors };
}

/** The whole graph.jsonl: refused on the first bad line; a repeated id is a warning (the last line wins). */
export function rustLoadsGraph(input: string | Uint8Array): RustLoadResult {
  const text = decode(input);
  if (text === undefined) return { ok: false, errors: [{ line: 0, message: 'stream did not contain valid UTF-8' }], warnings: [] };
  const errors: RustProblem[] = [];
  const warnings: RustProblem[] = [];
  const seen = new Map<string, number>();
  // BufRead::lines: split on \n, drop one trailing \r.
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (/[\uD800-\uDFFF]/u.test(raw.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
      errors.push({ line, message: 'unpaired UTF-16 surrogate: not valid UTF-8 once written' });
      return;
    }
    const verdict = rustGraphLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    for (const message of verdict.errors) errors.push({ line, message: `JSON error on line ${line}: ${message}` });
    if (verdict.errors.length || verdict.skipped || verdict.id === undefined) return;
    const prev = seen.get(verdict.id);
    if (prev !== undefined) warnings.push({ line, message: `duplicate node ID '${verdict.id}' at line ${line} (overwriting line ${prev})` });
    seen.set(verdict.id, line);
  });
  return { ok: errors.length === 0, errors, warnings };
}

const agentEntry = T.struct('AgentEntry', {
  id: req(T.string),
  pid: req(T.u32),
  task_id: req(T.string),
  executor: req(T.string),
  started_at: req(T.string),
  last_heartbeat: req(T.string),
  status: req(T.enumOf('AgentStatus', RUST_AGENT_STATUSES)),
  output_file: req(T.string),
  model: nullable(T.string),
  completed_at: nullable(T.string),
  worktree_path: nullable(T.string),
});
export const rustRegistry = T.struct('AgentRegistry', { agents: req(T.map(agentEntry)), next_agent_id: req(T.u32) });
export const rustServiceState = T.struct('ServiceState', { pid: req(T.u32), socket_path: req(T.string), started_at: req(T.string) });

function wholeJsonFile(input: string | Uint8Array, type: RType): RustLoadResult {
  const text = decode(input);
  if (text === undefined) return { ok: false, errors: [{ line: 0, message: 'stream did not contain valid UTF-8' }], warnings: [] };
  let v: JValue;
  try {
    v = parseStrictJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, errors: [{ line: 0, message: e.message }], warnings: [] };
    throw e;
  }
  const errors = check(type, v, '').map((message) => ({ line: 0, message }));
  return { ok: errors.length === 0, errors, warnings: [] };
}

/** `service/registry.json` as `AgentRegistry::load` reads it (strict: one bad entry fails the whole file). */
export const rustLoadsRegistry = (input: string | Uint8Array): RustLoadResult => wholeJsonFile(input, rustRegistry);

/** `service/state.json` as `ServiceState::load` reads it. */
export const rustLoadsServiceState = (input: string | Uint8Array): RustLoadResult => wholeJsonFile(input, rustServiceState);
