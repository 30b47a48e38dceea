/**
 * Would the Rust tool (graphwork/workgraph @6617ef03) load this config.toml? Its `Config`
 * (`src/config.rs`) ignores unknown keys but types every key it knows; `[coordinator]` is folded
 * into `[dispatcher]` first (`normalize_legacy_tables`: the canonical table wins key by key);
 * then `validate_model_format` refuses a model that is not `provider:model` with a known
 * provider, and any `provider` key in `[dispatcher]`/`[models.*]`. The key list and types are
 * written down here from reading its source (docs/rust-compat.md has the table); no code copied.
 *
 * Most Rust commands call `Config::load_or_default`, which on such an error prints a warning and
 * runs with the built-in defaults; `Config::load` (config commands, `wg init` checks) fails.
 */
import { parse as parseToml, TomlDate } from 'smol-toml';
import type { JValue } from './rust-json.js';
import { check, nullable, opt, req, T, type RType } from './rust-types.js';
import type { RustLoadResult } from './rust-rules.js';

const s = nullable(T.string);
const str = opt(T.string);
const b = opt(T.bool);
const u64 = opt(T.u64);
const u32 = opt(T.u32);
const usize = opt(T.usize);
const f64 = opt(T.f64);


const agent = T.struct('AgentConfig', { executor: str, model: str, interval: u64, max_tasks: nullable(T.u32), heartbeat_timeout: u64, reaper_grace_seconds: u64 });

const resourceManagement = T.struct('ResourceManagementConfig', {
  cleanup_verification: b, recovery_branch_max_age: u64, recovery_branch_max_count: u32, cleanup_job_queue: b, cleanup_queue_size: usize, recovery_prune_interval: u64,
});

const dispatcher = T.struct('CoordinatorConfig', {
  max_agents: usize, interval: u64, poll_interval: opt(T.u64, ['safety_interval']), graph_watch_enabled: b, graph_watch_debounce_ms: u64,
  executor: s, model: s, provider: s, default_context_scope: s, agent_timeout: str, settling_delay_ms: u64,
  coordinator_agent: opt(T.bool, ['chat_agent']), compactor_interval: u32, compactor_ops_threshold: usize, compaction_token_threshold: u64,
  compaction_threshold_ratio: f64, eval_frequency: str, worktree_isolation: b, max_coordinators: opt(T.usize, ['max_chats']),
  archive_retention_days: u64, registry_refresh_interval: u64, verify_mode: str, verify_autospawn_enabled: b,
  max_verify_failures: opt(T.u32, ['max_eval_rescues']), verify_default_timeout: s, max_concurrent_verifies: u32, verify_triage_enabled: b,
  verify_progress_timeout: s, max_spawn_failures: u32, max_escalation_depth: u32, auto_test_discovery: b, scoped_verify_enabled: b,
  on_provider_failure: str, provider_failure_threshold: u32, provider_failure_cooldown: str, resource_management: opt(resourceManagement),
  max_incomplete_retries: u32, incomplete_retry_delay: str, escalate_on_retry: b,
});

const agency = T.struct('AgencyConfig', {
  auto_evaluate: b, auto_assign: b, assigner_agent: s, evaluator_agent: s, evolver_agent: s, creator_agent: s, placer_agent: s,
  auto_place: b, auto_create: b, auto_create_threshold: u32, retention_heuristics: s, auto_triage: b, triage_timeout: nullable(T.u64),
  triage_max_log_bytes: nullable(T.usize), exploration_interval: u32, cache_population_threshold: f64, ucb_exploration_constant: f64,
  novelty_bonus_multiplier: f64, bizarre_ideation_interval: u32, auto_assign_grace_seconds: u64, eval_gate_threshold: nullable(T.f64),
  eval_gate_all: b, auto_rescue_on_eval_fail: b, flip_enabled: b, flip_inference_model: s, flip_comparison_model: s,
  flip_verification_threshold: nullable(T.f64), auto_evolve: b, evolution_interval: u64, evolution_threshold: u32, evolution_budget: u32,
  evolution_reactive_threshold: f64, agency_server_url: s, agency_token_path: s, assignment_source: s, agency_project_id: s,
  upstream_url: s, evaluator_model: s, default_validation_mode: s, gate_uncertain_policy: str, gate_max_attempts: u32,
  gate_confidence_threshold: f64,
});

const tier = T.enumOf('Tier', ['fast', 'standard', 'premium']);
const roleModel = T.struct('RoleModelConfig', { provider: s, model: s, tier: nullable(tier), endpoint: s });
export const RUST_MODEL_ROLES = ['default', 'task_agent', 'evaluator', 'flip_inference', 'flip_comparison', 'assigner', 'evolver', 'verification', 'triage', 'creator', 'compactor', 'placer', 'chat_compactor'] as const;

const endpoint = T.struct('EndpointConfig', {
  name: req(T.string), provider: str, url: s, model: s, api_key: s, api_key_file: s, api_key_env: s, api_key_ref: s, is_default: b, context_window: nullable(T.u64),
});
const registryEntry = T.struct('ModelRegistryEntry', {
  id: req(T.string), provider: req(T.string), model: req(T.string), tier: req(tier), endpoint: s, context_window: u64, max_output_tokens: u64,
  cost_per_input_mtok: f64, cost_per_output_mtok: f64, prompt_caching: b, cache_read_discount: f64, cache_write_premium: f64, descriptors: opt(T.vec(T.string)),
});
const u16 = opt(T.u16);

/** `Config`: every section and key the Rust tool knows, with its type. */
export const rustConfig = T.struct('Config', {
  agent: opt(agent),
  dispatcher: opt(dispatcher),
  project: opt(T.struct('ProjectConfig', { name: s, description: s, title: s, byline: s, default_skills: opt(T.vec(T.string)) })),
  help: opt(T.struct('HelpConfig', { ordering: str })),
  agency: opt(agency),
  log: opt(T.struct('LogConfig', { rotation_threshold: u64 })),
  replay: opt(T.struct('ReplayConfig', { keep_done_threshold: f64, snapshot_agent_output: b })),
  guardrails: opt(T.struct('GuardrailsConfig', { max_child_tasks_per_agent: u32, max_task_depth: u32, max_triage_attempts: u32, decomp_guidance: b })),
  viz: opt(T.struct('VizConfig', { edge_color: str, animations: str })),
  tui: opt(T.struct('TuiConfig', {
    mouse_mode: nullable(T.bool), default_layout: str, color_theme: str, timestamp_format: str, show_token_counts: b, message_name_threshold: u16,
    message_indent: u16, panel_ratio: u16, default_inspector_size: str, chat_history: b, chat_history_max: usize, chat_page_size: usize,
    counters: str, show_system_tasks: b, show_running_system_tasks: b, show_keys: b, session_gap_minutes: u32,
  })),
  llm_endpoints: opt(T.struct('EndpointsConfig', { inherit_global: b, endpoints: opt(T.vec(endpoint)) })),
  checkpoint: opt(T.struct('CheckpointConfig', { auto_interval_turns: u32, auto_interval_mins: u32, max_checkpoints: u32, retry_context_tokens: u32 })),
  models: opt(T.struct('ModelRoutingConfig', Object.fromEntries(RUST_MODEL_ROLES.map((r) => [r, nullable(roleModel)])))),
  profile: s,
  tiers: opt(T.struct('TierConfig', { fast: s, standard: s, premium: s })),
  model_registry: opt(T.vec(registryEntry)),
  tag_routing: opt(T.vec(T.struct('TagRoutingEntry', { tag: req(T.string), model: req(T.string), executor: s }))),
  chat: opt(T.struct('ChatConfig', { max_file_size: u64, max_messages: usize, retention_days: u32, compact_threshold: usize })),
  openrouter: nullable(T.struct('OpenRouterConfig', {
    cost_cap_global_usd: nullable(T.f64), cost_cap_session_usd: nullable(T.f64), cost_cap_task_usd: nullable(T.f64),
    cap_behavior: opt(T.enumOf('CapBehavior', ['fail', 'fallback', 'escalate', 'readonly'])), fallback_model: s,
    key_status_check_interval_minutes: u32, warn_at_usage_percent: opt(T.u8), cost_estimation_buffer: f64, enable_cache_tracking: b,
    track_session_costs: b, persist_cost_history: b,
  })),
  secrets: opt(T.struct('SecretsConfig', { allow_plaintext: b, default_backend: opt(T.enumOf('Backend', ['keyring', 'keystore', 'plaintext'])) })),
  native_executor: opt(T.struct('NativeExecutorConfig', {
    web: opt(T.struct('NativeWebConfig', { search_api_key: s, searxng_url: s, fetch_max_chars: usize, fetch_timeout_secs: u64 })),
    background: opt(T.struct('NativeBackgroundConfig', { max_background_tasks: usize, background_timeout_secs: u64 })),
    delegate: opt(T.struct('NativeDelegateConfig', { delegate_max_turns: usize, delegate_model: str })),
    permissions: opt(T.struct('ToolPermissionsConfig', { deny_tools: opt(T.vec(T.string)) })),
  })),
  mcp: opt(T.struct('McpConfig', {
    servers: opt(T.vec(T.struct('McpServerEntry', { name: req(T.string), command: req(T.string), args: opt(T.vec(T.string)), env: opt(T.map(T.string)), enabled: b }))),
  })),
});

/** Provider prefixes `parse_model_spec_strict` accepts (`KNOWN_PROVIDERS`). */
export const RUST_MODEL_PROVIDERS = ['claude', 'openrouter', 'nex', 'oai-compat', 'openai', 'codex', 'gemini', 'ollama', 'llamacpp', 'vllm', 'local', 'native'] as const;

/** Why `spec` is not a model the Rust tool's strict check accepts, or undefined. */
export function rustModelSpecProblem(spec: string): string | undefined {
  if (spec === '') return 'model spec cannot be empty (use provider:model, e.g. claude:opus)';
  const colon = spec.indexOf(':');
  if (colon < 0) return `'${spec}' is not provider:model (e.g. claude:${spec})`;
  const prefix = spec.slice(0, colon);
  if (prefix === 'amplifier') return 'the amplifier executor was removed';
  if (!(RUST_MODEL_PROVIDERS as readonly string[]).includes(prefix)) return `unknown provider '${prefix}' in '${spec}'`;
  if (colon === spec.length - 1) return `'${spec}' has a provider but no model name`;
  return undefined;
}

function toJ(v: unknown): JValue {
  if (typeof v === 'bigint') return { t: 'num', raw: String(v), int: true, big: v, v: Number(v) };
  if (typeof v === 'number') return { t: 'num', raw: String(v), int: false, big: undefined, v };
  if (typeof v === 'string') return { t: 'str', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (v instanceof TomlDate) return { t: 'datetime', v: v.toISOString() };
  if (Array.isArray(v)) return { t: 'arr', items: v.map(toJ) };
  return { t: 'obj', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toJ(x)]) };
}

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TomlDate);

/** Deep merge, `over` winning (the Rust tool's merge_toml). */
function mergeTables(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTable(out[k]) && isTable(v) ? mergeTables(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** config.toml as `Config::load` reads it: TOML, `[coordinator]` folded into `[dispatcher]`, types, model specs. */
export function rustLoadsConfig(text: string): RustLoadResult {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, errors: [{ line: 0, message: `TOML parse error: ${(e as Error).message.split('\n')[0]}` }], warnings: [] };
  }
  const warnings: RustLoadResult['warnings'] = [];
  if ('coordinator' in raw) {
    warnings.push({ line: 0, message: 'Deprecated: [coordinator] table is now [dispatcher]' });
    const legacy = raw.coordinator;
    const { coordinator: _legacy, ...rest } = raw;
    raw = { ...rest, dispatcher: isTable(legacy) && isTable(raw.dispatcher) ? mergeTables(legacy, raw.dispatcher) : (raw.dispatcher ?? legacy) };
  }
  const errors = check(rustConfig, toJ(raw), '').map((message) => ({ line: 0, message }));
  if (errors.length === 0) {
    // validate_model_format (only reached when the file deserialized).
    const get = (sec: string): Record<string, unknown> | undefined => (isTable(raw[sec]) ? (raw[sec] as Record<string, unknown>) : undefined);
    const model = (where: string, v: unknown): void => {
      if (typeof v !== 'string') return;
      const p = rustModelSpecProblem(v);
      if (p) errors.push({ line: 0, message: `${where} = "${v}": ${p}` });
    };
    model('agent.model', get('agent')?.model);
    model('dispatcher.model', get('dispatcher')?.model);
    if (get('dispatcher')?.provider !== undefined) errors.push({ line: 0, message: 'dispatcher.provider is refused (put the provider in the model: provider:model)' });
    const models = get('models') ?? {};
    for (const role of RUST_MODEL_ROLES) {
      const r = models[role];
      if (!isTable(r)) continue;
      model(`models.${role}.model`, r.model);
      if (r.provider !== undefined) errors.push({ line: 0, message: `models.${role}.provider is refused (put the provider in the model: provider:model)` });
    }
    for (const t of ['fast', 'standard', 'premium']) model(`tiers.${t}`, get('tiers')?.[t]);
  }
  return { ok: errors.length === 0, errors, warnings };
}

/**
 * Does the Rust tool's `Config` know this key path (a field, an alias, a table of it, an entry
 * of one of its maps)? `[coordinator]` must be folded into `[dispatcher]` first.
 */
export function rustConfigKnows(path: readonly string[]): boolean {
  let t: RType = rustConfig;
  for (const k of path) {
    while (t.k === 'option') t = t.of;
    if (t.k === 'map') {
      t = t.of;
      continue;
    }
    if (t.k !== 'struct') return false; // a value (or an array of tables) has no sub-keys
    const f = Object.entries(t.fields).find(([name, field]) => name === k || field.aliases?.includes(k));
    if (!f) return false;
    t = f[1].type;
  }
  return true;
}
