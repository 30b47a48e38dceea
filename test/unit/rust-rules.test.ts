/**
 * The Rust-loadability checker (src/compat/rust-rules.ts, rust-config-rules.ts) against
 * hand-written lines whose fate in the Rust tool is known from its source (docs/rust-compat.md),
 * and over the Rust-format fixtures in test/fixtures/rust/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rustLoadsConfig, rustModelSpecProblem } from '../../src/compat/rust-config-rules.js';
import { RUST_AGENT_STATUSES, RUST_FAILURE_CLASSES, RUST_STATUSES, rustGraphLine, rustLoadsGraph, rustLoadsRegistry, rustLoadsServiceState } from '../../src/compat/rust-rules.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'rust');
const task = (extra: string): string => `{"kind":"task","id":"t","title":"T"${extra}}`;
const errorsOf = (line: string): string[] => rustGraphLine(line).errors;
const loads = (line: string): boolean => errorsOf(line).length === 0;

describe('graph lines: what the Rust tool accepts', () => {
  it('a minimal task, a resource, blank lines, # comments and legacy actor lines', () => {
    expect(errorsOf('{"kind":"task","id":"a","title":"A"}')).toEqual([]);
    expect(rustGraphLine('{"id":"a","title":"A","kind":"task"}').kind).toBe('task'); // the tag may come anywhere
    expect(errorsOf('{"kind":"resource","id":"gpu","available":4,"unit":"h"}')).toEqual([]);
    expect(rustGraphLine('   ').skipped).toBe('blank');
    expect(rustGraphLine('# a note').skipped).toBe('comment');
    expect(rustGraphLine('{"kind":"actor","id":"erik","name":"Erik"}').skipped).toBe('actor');
  });

  it('blocked_by and blocks are aliases: alone they load, beside after/before they are a duplicate field', () => {
    expect(loads(task(',"blocked_by":["a"]'))).toBe(true);
    expect(loads(task(',"blocks":["b"]'))).toBe(true);
    expect(errorsOf(task(',"blocked_by":["a"],"after":["b"]'))).toEqual(['duplicate field `after`']);
    expect(errorsOf(task(',"after":["b"],"blocked_by":["a"]'))).toEqual(['duplicate field `after`']);
    expect(errorsOf(task(',"before":["b"],"blocks":["a"]'))).toEqual(['duplicate field `before`']);
    expect(errorsOf(task(',"after":["a"],"after":["b"]'))).toEqual(['duplicate field `after`']);
    expect(errorsOf('{"kind":"task","kind":"task","id":"t","title":"T"}')).toEqual(['duplicate field `kind`']);
    // a repeated key the Rust tool does not know is ignored
    expect(loads(task(',"x_note":1,"x_note":2'))).toBe(true);
  });

  it('status: the eleven values and legacy pending-review; anything else refuses the file', () => {
    for (const s of [...RUST_STATUSES, 'pending-review']) expect(loads(task(`,"status":"${s}"`)), s).toBe(true);
    expect(loads(task(''))).toBe(true); // missing: open
    expect(errorsOf(task(',"status":"todo"'))[0]).toMatch(/^status: unknown variant `todo`/);
    expect(errorsOf(task(',"status":"Done"'))[0]).toMatch(/unknown variant `Done`/);
    expect(errorsOf(task(',"status":null'))).toEqual(['status: invalid type: null, expected enum Status']);
  });

  it('priority is never refused (legacy names, fractions, negatives and other types read as a number)', () => {
    for (const p of ['"urgent"', '2.5', '-1', 'null', '"high"', '{}', '[1]', 'true', '4294967296']) expect(loads(task(`,"priority":${p}`)), p).toBe(true);
  });

  it('failure_class: only the six on-disk spellings (the CLI spelling with a dash before the digits is refused)', () => {
    for (const c of RUST_FAILURE_CLASSES) expect(loads(task(`,"failure_class":"${c}"`)), c).toBe(true);
    expect(loads(task(',"failure_class":null'))).toBe(true);
    for (const c of ['api-error-400-document', 'api-error-429-rate-limit', 'agent-died', 'agent-killed', 'eval-rejected', 'manual', 'Agent-Exit-Nonzero']) {
      expect(errorsOf(task(`,"failure_class":"${c}"`))[0], c).toMatch(new RegExp(`^failure_class: unknown variant \`${c}\``));
    }
  });

  it('JSON types per field: counters are u32, lists hold strings, flags are booleans, null only where Option', () => {
    expect(errorsOf(task(',"retry_count":1.0'))).toEqual(['retry_count: invalid type: floating point `1.0`, expected u32']);
    expect(errorsOf(task(',"retry_count":-1'))).toEqual(['retry_count: invalid value: integer `-1`, expected u32']);
    expect(errorsOf(task(',"dispatch_count":4294967296'))).toEqual(['dispatch_count: invalid value: integer `4294967296`, expected u32']);
    expect(loads(task(',"dispatch_count":4294967295,"max_retries":0'))).toBe(true);
    expect(errorsOf(task(',"retry_count":"3"'))[0]).toMatch(/invalid type: string "3", expected u32/);
    expect(errorsOf(task(',"retry_count":null'))[0]).toMatch(/invalid type: null, expected u32/);
    expect(errorsOf(task(',"tags":"x"'))[0]).toMatch(/^tags: invalid type: string "x", expected a sequence/);
    expect(errorsOf(task(',"tags":[1]'))[0]).toMatch(/^tags\[0\]: invalid type: integer `1`, expected a string/);
    expect(errorsOf(task(',"tags":null'))[0]).toMatch(/^tags: invalid type: null/);
    expect(errorsOf(task(',"blocked_by":null'))[0]).toMatch(/^blocked_by: invalid type: null/);
    expect(errorsOf(task(',"paused":"true"'))[0]).toMatch(/^paused: invalid type: string "true", expected a boolean/);
    expect(errorsOf(task(',"paused":null'))[0]).toMatch(/^paused: invalid type: null/);
    expect(errorsOf(task(',"visibility":null'))[0]).toMatch(/^visibility: invalid type: null/);
    expect(loads(task(',"description":null,"assigned":null,"max_retries":null,"cycle_config":null,"token_usage":null'))).toBe(true);
    expect(errorsOf(task(',"description":5'))[0]).toMatch(/^description: invalid type: integer `5`, expected a string/);
    expect(errorsOf(task(',"estimate":{"hours":"2"}'))[0]).toMatch(/^estimate.hours: invalid type/);
    expect(loads(task(',"estimate":{"hours":2,"cost":1.5,"extra":true}'))).toBe(true);
  });

  it('required fields and the node tag', () => {
    expect(errorsOf('{"kind":"task","id":"t"}')).toEqual(['missing field `title`']);
    expect(errorsOf('{"kind":"task","title":"T"}')).toEqual(['missing field `id`']);
    expect(errorsOf('{"id":"t","title":"T"}')).toEqual(['missing field `kind`']);
    expect(errorsOf('{"kind":"Task","id":"t","title":"T"}')[0]).toMatch(/^unknown variant `Task`/);
    expect(errorsOf('{"kind":"epic","id":"t","title":"T"}')[0]).toMatch(/^unknown variant `epic`, expected `task`, `resource`/);
    expect(errorsOf('{"kind":"resource","name":"x"}')).toEqual(['missing field `id`']);
    expect(errorsOf('[1]')[0]).toMatch(/expected internally tagged enum Node/);
    expect(errorsOf('{"kind":5,"id":"t","title":"T"}')[0]).toMatch(/^invalid type: integer `5`, expected variant identifier/);
    expect(errorsOf('{"kind":"task","id":"t","title":"T","kind":"resource"}')).toEqual(['duplicate field `kind`']);
    expect(loads('{"kind":"task","id":"","title":""}')).toBe(true); // any string, even empty
  });

  it('log entries: timestamp and message required, actor/user optional (null too), other keys ignored', () => {
    expect(loads(task(',"log":[{"timestamp":"2026-01-01T00:00:00+00:00","message":"m"},{"message":"m","user":"u","timestamp":"x","actor":null,"extra":1}]'))).toBe(true);
    expect(errorsOf(task(',"log":[{"timestamp":"x"}]'))).toEqual(['log[0]: missing field `message`']);
    expect(errorsOf(task(',"log":[{"timestamp":1,"message":"m"}]'))[0]).toMatch(/^log\[0\].timestamp: invalid type/);
  });

  it('token_usage, cycle_config with its guard, wait_condition, identity, loops_to', () => {
    expect(loads(task(',"token_usage":{"cost_usd":3,"input_tokens":10}'))).toBe(true);
    expect(errorsOf(task(',"token_usage":{"input_tokens":1.5}'))[0]).toMatch(/^token_usage.input_tokens: invalid type: floating point/);
    expect(loads(task(',"cycle_config":{"max_iterations":3}'))).toBe(true);
    expect(errorsOf(task(',"cycle_config":{"delay":"5m"}'))).toEqual(['cycle_config: missing field `max_iterations`']);
    for (const g of ['"Always"', '{"Always":null}', '{"IterationLessThan":5}', '{"TaskStatus":{"task":"x","status":"done"}}']) {
      expect(loads(task(`,"cycle_config":{"max_iterations":2,"guard":${g}}`)), g).toBe(true);
    }
    for (const g of ['"Sometimes"', '{"IterationLessThan":-1}', '{"TaskStatus":{"task":"x","status":"finished"}}', '{"Always":null,"IterationLessThan":1}']) {
      expect(loads(task(`,"cycle_config":{"max_iterations":2,"guard":${g}}`)), g).toBe(false);
    }
    expect(loads(task(',"wait_condition":{"mode":"all","conditions":[{"type":"task-status","task_id":"a","status":"done"},{"type":"message"}]}'))).toBe(true);
    expect(loads(task(',"wait_condition":{"mode":"any","conditions":[{"type":"soon"}]}'))).toBe(false);
    expect(loads(task(',"wait_condition":{"mode":"some","conditions":[]}'))).toBe(false);
    expect(loads(task(',"identity":{"role_id":"r","motivation_id":"m"}'))).toBe(true);
    expect(errorsOf(task(',"identity":{"role_id":"r"}'))).toEqual(['identity: missing field `motivation_id`']);
    expect(loads(task(',"loops_to":"a"')) && loads(task(',"loops_to":["a",{"x":1}]')) && loads(task(',"loops_to":null'))).toBe(true);
    expect(loads(task(',"loops_to":5'))).toBe(false);
  });

  it('JSON the Rust reader refuses although JSON.parse accepts it', () => {
    expect(loads(task(',"description":"\\ud83d\\ude00"'))).toBe(true); // a surrogate pair
    expect(errorsOf(task(',"description":"\\ud800"'))[0]).toMatch(/lone leading surrogate/);
    expect(errorsOf(task(',"description":"\\udc00x"'))[0]).toMatch(/lone leading surrogate/);
    const deep = '['.repeat(130) + ']'.repeat(130);
    expect(() => JSON.parse(deep)).not.toThrow();
    expect(errorsOf(task(`,"x_deep":${deep}`))[0]).toMatch(/recursion limit exceeded/);
    expect(loads(task(`,"x_deep":${"[".repeat(126)}${"]".repeat(126)}`))).toBe(true); // 127 levels with the line itself
    expect(loads(task(`,"x_deep":${"[".repeat(127)}${"]".repeat(127)}`))).toBe(false);
    expect(errorsOf(task(',"x_big":1e400'))[0]).toMatch(/number out of range/);
    // an integer beyond u64 is read as a float: fine where ignored, refused by a counter
    expect(loads(task(',"x_big":100000000000000000000000'))).toBe(true);
    expect(errorsOf(task(',"retry_count":100000000000000000000000'))[0]).toMatch(/invalid type: floating point/);
    // and what both refuse
    expect(loads('{"kind":"task","id":"t","title":"T",}')).toBe(false);
    expect(loads(task('') + ' x')).toBe(false);
  });
});

describe('a whole graph.jsonl', () => {
  it('a repeated id loads with a warning (the last line wins); errors carry their line numbers', () => {
    const ok = rustLoadsGraph(['{"kind":"task","id":"a","title":"A"}', '', '{"kind":"task","id":"a","title":"A2"}\r'].join('\n') + '\n');
    expect(ok.ok).toBe(true);
    expect(ok.warnings).toEqual([{ line: 3, message: "duplicate node ID 'a' at line 3 (overwriting line 1)" }]);
    const bad = rustLoadsGraph(['{"kind":"task","id":"a","title":"A"}', '{"kind":"task","id":"b","title":"B","blocked_by":["a"],"after":["a"]}'].join('\n'));
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual([{ line: 2, message: 'JSON error on line 2: duplicate field `after`' }]);
    expect(rustLoadsGraph('').ok).toBe(true);
  });

  it('bytes that are not UTF-8, a byte-order mark, or an unpaired surrogate in the text to be written', () => {
    expect(rustLoadsGraph(Buffer.from([0x7b, 0xff, 0x7d])).errors[0]!.message).toMatch(/valid UTF-8/);
    expect(rustLoadsGraph('\uFEFF{"kind":"task","id":"a","title":"A"}').ok).toBe(false);
    expect(rustLoadsGraph('{"kind":"task","id":"a","title":"\uD800"}').ok).toBe(false);
  });
});

describe('agent registry and service state', () => {
  const entry = (extra: Record<string, unknown> = {}, drop: string[] = []): Record<string, unknown> => {
    const e: Record<string, unknown> = { id: 'agent-1', pid: 4242, task_id: 't', executor: 'claude', started_at: 's', last_heartbeat: 'h', status: 'working', output_file: 'o', ...extra };
    for (const k of drop) delete e[k];
    return e;
  };
  const reg = (e: Record<string, unknown>, next: unknown = 2): string => JSON.stringify({ agents: { 'agent-1': e }, next_agent_id: next });

  it('every Rust agent status loads; extra fields are ignored', () => {
    for (const s of RUST_AGENT_STATUSES) expect(rustLoadsRegistry(reg(entry({ status: s, lease: { epoch: 1 } }))).ok, s).toBe(true);
    expect(rustLoadsRegistry('{"agents":{},"next_agent_id":1}').ok).toBe(true);
  });

  it('strict: a missing field, an unknown status, a bad pid or no next_agent_id refuses the whole registry', () => {
    expect(rustLoadsRegistry(reg(entry({}, ['pid']))).errors[0]!.message).toBe('agents.agent-1: missing field `pid`');
    for (const f of ['executor', 'last_heartbeat', 'output_file', 'task_id']) expect(rustLoadsRegistry(reg(entry({}, [f]))).ok, f).toBe(false);
    expect(rustLoadsRegistry(reg(entry({ status: 'exited' }))).errors[0]!.message).toMatch(/unknown variant `exited`/);
    expect(rustLoadsRegistry(reg(entry({ pid: -1 }))).ok).toBe(false);
    expect(rustLoadsRegistry(reg(entry({ model: null, completed_at: null }))).ok).toBe(true);
    expect(rustLoadsRegistry(JSON.stringify({ agents: {} })).errors[0]!.message).toBe('missing field `next_agent_id`');
    expect(rustLoadsRegistry('{').ok).toBe(false);
  });

  it('service/state.json needs pid, socket_path and started_at', () => {
    expect(rustLoadsServiceState('{"pid":1,"socket_path":"/s","started_at":"t","extra":1}').ok).toBe(true);
    expect(rustLoadsServiceState('{"pid":1,"started_at":"t"}').ok).toBe(false);
  });
});

describe('config.toml', () => {
  it('unknown keys and sections are ignored; [coordinator] folds into [dispatcher] (canonical wins)', () => {
    expect(rustLoadsConfig('').ok).toBe(true);
    expect(rustLoadsConfig('[dispatcher]\nmax_agents = 2\nkill_grace = "5s"\n[executors.mine]\ncommand = ["x"]\n').ok).toBe(true);
    const both = rustLoadsConfig('[coordinator]\npoll_interval = "oops"\nmax_agents = 2\n[dispatcher]\npoll_interval = 5\n');
    expect(both.ok).toBe(true);
    expect(both.warnings[0]!.message).toMatch(/\[coordinator\] table is now \[dispatcher\]/);
    expect(rustLoadsConfig('[coordinator]\npoll_interval = "5s"\n').errors[0]!.message).toBe('dispatcher.poll_interval: invalid type: string "5s", expected u64');
  });

  it('types: durations the Rust tool counts in seconds/ms are integers; floats accept integers, not the reverse', () => {
    expect(rustLoadsConfig('[dispatcher]\npoll_interval = "5s"\n').ok).toBe(false);
    expect(rustLoadsConfig('[dispatcher]\nmax_agents = -1\n').ok).toBe(false);
    expect(rustLoadsConfig('[dispatcher]\nmax_agents = 2.0\n').ok).toBe(false);
    expect(rustLoadsConfig('[agency]\neval_gate_threshold = 1\n').ok).toBe(true);
    expect(rustLoadsConfig('[agent]\nheartbeat_timeout = "5m"\n').ok).toBe(false);
    expect(rustLoadsConfig('[dispatcher]\nagent_timeout = "30m"\nsafety_interval = 5\n').ok).toBe(true);
    expect(rustLoadsConfig('[dispatcher]\npoll_interval = 5\nsafety_interval = 5\n').errors[0]!.message).toBe('dispatcher: duplicate field `poll_interval`');
    expect(rustLoadsConfig('[project]\nname = 1979-05-27T07:32:00Z\n').ok).toBe(false);
    expect(rustLoadsConfig('[openrouter]\ncap_behavior = "maybe"\n').ok).toBe(false);
    expect(rustLoadsConfig('[[model_registry]]\nid = "x"\nprovider = "p"\nmodel = "m"\n').errors[0]!.message).toBe('model_registry[0]: missing field `tier`');
    expect(rustLoadsConfig('[[llm_endpoints.endpoints]]\nprovider = "openrouter"\n').ok).toBe(false);
  });

  it('models must be provider:model with a known provider; a provider key is refused', () => {
    expect(rustLoadsConfig('[agent]\nmodel = "claude:opus"\n[dispatcher]\nmodel = "codex:gpt-5"\n').ok).toBe(true);
    expect(rustLoadsConfig('[dispatcher]\nmodel = "opus"\n').errors[0]!.message).toMatch(/^dispatcher.model = "opus"/);
    expect(rustLoadsConfig('[tiers]\nfast = "haiku"\n').ok).toBe(false);
    expect(rustLoadsConfig('[models.evaluator]\nmodel = "claude:haiku"\nprovider = "anthropic"\n').ok).toBe(false);
    expect(rustModelSpecProblem('ollama:deepseek-coder-v2:16b')).toBeUndefined();
    for (const bad of ['', 'claude:', 'acme:x', 'amplifier:x', 'sonnet']) expect(rustModelSpecProblem(bad), bad).toBeDefined();
  });

  it('a TOML syntax error refuses the file', () => {
    expect(rustLoadsConfig('[agent\nmodel = 1').ok).toBe(false);
    expect(rustLoadsConfig('[agent]\nmodel = "a"\nmodel = "b"\n').ok).toBe(false);
  });
});

describe('the Rust-format fixtures are loadable by the Rust tool', () => {
  it('legacy-project: graph (with its one repeated id), config and registry', () => {
    const graph = rustLoadsGraph(readFileSync(join(FIXTURES, 'legacy-project/.workgraph/graph.jsonl')));
    expect(graph.errors).toEqual([]);
    expect(graph.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^duplicate node ID 'build-store'/)]);
    const config = rustLoadsConfig(readFileSync(join(FIXTURES, 'legacy-project/.workgraph/config.toml'), 'utf8'));
    expect(config.errors).toEqual([]);
    expect(config.warnings).toHaveLength(1); // [coordinator] is the legacy name
    expect(rustLoadsRegistry(readFileSync(join(FIXTURES, 'legacy-project/.workgraph/service/registry.json'))).errors).toEqual([]);
  });

  it('legacy-project covers every case it claims: statuses, failure classes, aliases, priorities, cron, cycles', () => {
    const lines = readFileSync(join(FIXTURES, 'legacy-project/.workgraph/graph.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const tasks = lines.filter((l) => l.kind === 'task');
    expect(new Set(tasks.map((t) => t.status ?? 'open'))).toEqual(new Set([...RUST_STATUSES, 'pending-review']));
    expect(new Set(tasks.filter((t) => t.failure_class).map((t) => t.failure_class))).toEqual(new Set(RUST_FAILURE_CLASSES));
    expect(tasks.some((t) => 'blocked_by' in t) && tasks.some((t) => 'blocks' in t) && tasks.some((t) => 'after' in t)).toBe(true);
    expect(tasks.map((t) => t.priority)).toEqual(expect.arrayContaining(['urgent', 2.5, 'high']));
    expect(tasks.filter((t) => t.cron_enabled === true)).toHaveLength(2);
    expect(tasks.filter((t) => t.cycle_config !== undefined)).toHaveLength(2);
    expect(lines.map((l) => l.kind)).toEqual(expect.arrayContaining(['resource', 'actor']));
    const registry = JSON.parse(readFileSync(join(FIXTURES, 'legacy-project/.workgraph/service/registry.json'), 'utf8')) as { agents: Record<string, { status: string }> };
    expect(new Set(Object.values(registry.agents).map((a) => a.status))).toEqual(new Set(RUST_AGENT_STATUSES));
  });

  it('plain-project (shaped like the public projects made by the Rust tool)', () => {
    const graph = rustLoadsGraph(readFileSync(join(FIXTURES, 'plain-project/.workgraph/graph.jsonl')));
    expect(graph).toEqual({ ok: true, errors: [], warnings: [] });
  });
});
