/**
 * `.wg/config.toml` (SPEC §9), tested through parseConfig/readConfig: unknown keys name the key,
 * the file and the line, bad values name the expected form, TOML syntax errors their line and
 * column, defaults are filled in; the Rust tool's config file is read (mapped keys with their
 * units, ignored keys listed). `wg config show/lint` run as subprocesses at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rustLoadsConfig } from '../../src/compat/rust-config-rules.js';
import { DEFAULT_CONFIG_TOML, loadConfig, parseConfig, readConfig, resolveDispatcher } from '../../src/config.js';
import { WgError } from '../../src/core/errors.js';
import { tempDirsPerTest } from '../helpers/project.js';
import { RUST_FIXTURES } from '../helpers/rust-fixtures.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const FILE = '/proj/.wg/config.toml';

function configError(text: string): WgError {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(WgError);
    return e as WgError;
  }
  throw new Error(`config was accepted:\n${text}`);
}

describe('parseConfig', () => {
  it('fills every default from an empty file', () => {
    const c = parseConfig('', FILE);
    expect(c.dispatcher).toMatchObject({
      max_agents: 4,
      poll_interval: '5s',
      executor: 'claude',
      agent_timeout: '30m',
      heartbeat_timeout: '60s',
      kill_grace: '5s',
      retry_debounce: '10s',
      settling_delay: '500ms',
      paused: false,
    });
    expect(c.agency.auto_evaluate).toBe(false);
    expect(c.executors).toEqual({});
    expect(resolveDispatcher(c)).toMatchObject({
      maxAgents: 4,
      pollIntervalMs: 5000,
      agentTimeoutMs: 30 * 60_000,
      heartbeatTimeoutMs: 60_000,
      killGraceMs: 5000,
      retryDebounceMs: 10_000,
      settlingDelayMs: 500,
    });
  });

  it('reads the SPEC §9 example and keeps the given values over defaults', () => {
    const c = parseConfig(
      `[dispatcher]\nmax_agents = 2\npoll_interval = "1s"\nexecutor = "shell"\nmodel = "claude:opus"\nagent_timeout = "1h30m"\n\n[agency]\nauto_evaluate = true\n\n[executors.mine]\ncommand = ["my-agent", "{prompt_file}"]\n`,
      FILE,
    );
    expect(c.dispatcher).toMatchObject({ max_agents: 2, poll_interval: '1s', executor: 'shell', model: 'claude:opus', kill_grace: '5s' });
    expect(resolveDispatcher(c).agentTimeoutMs).toBe(90 * 60_000);
    expect(c.agency.auto_evaluate).toBe(true);
    expect(c.executors.mine!.command).toEqual(['my-agent', '{prompt_file}']);
    expect(parseConfig(DEFAULT_CONFIG_TOML, FILE).dispatcher.max_agents).toBe(4);
  });

  it('an unknown key names the key and the file', () => {
    const e = configError('[dispatcher]\nmax_agent = 3\n');
    expect(e.code).toBe('invalid_config');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain('max_agent');
    const section = configError('[dispatchr]\nmax_agents = 3\n');
    expect(section.message).toContain(FILE);
    expect(section.message).toContain('dispatchr');
    expect(configError('[executors.x]\ncommand = ["a"]\nenvv = {}\n').message).toContain('envv');
  });

  it('a bad value names the key and the expected form', () => {
    const d = configError('[dispatcher]\npoll_interval = "5 seconds"\n');
    expect(d.message).toContain(FILE);
    expect(d.message).toContain('poll_interval');
    expect(d.message).toMatch(/expected a duration like "500ms", "5s", "30m", "1h"/);
    const n = configError('[dispatcher]\nmax_agents = "four"\n');
    expect(n.message).toContain('max_agents');
    expect(n.message).toMatch(/number|int/i);
    expect(configError('[dispatcher]\nmax_agents = -1\n').message).toContain('max_agents');
    expect(configError('[agency]\nauto_evaluate = "yes"\n').message).toContain('auto_evaluate');
  });

  it('invalid TOML names the file, the line and the column', () => {
    const e = configError('[dispatcher\nmax_agents = 3\n');
    expect(e.code).toBe('invalid_config');
    expect(e.message).toMatch(new RegExp(`^${FILE.replace(/[/.]/g, '\\$&')}:1:\\d+: invalid TOML: `));
    const dup = configError('# c\n[dispatcher]\nmax_agents = 3\nmax_agents = 4\n');
    expect(dup.message).toMatch(new RegExp(`^${FILE.replace(/[/.]/g, '\\$&')}:4:1: invalid TOML: trying to redefine an already defined table or value$`));
  });

  it('an unknown key names its line', () => {
    expect(configError('# top\n[dispatcher]\nmax_agents = 3\nmax_agent = 3\n').message).toBe(`${FILE}:4: unknown key 'dispatcher.max_agent'`);
    expect(configError('[agent]\nmodel = "claude:opus"\n\n[project]\nnme = "x"\n').message).toBe(`${FILE}:5: unknown key 'project.nme'`);
    expect(configError('[dispatcher]\nmax_agents = 2\n\n[dispatchr]\nmax_agents = 3\n').message).toBe(`${FILE}:5: unknown key 'dispatchr.max_agents'`);
  });
});

describe('loadConfig', () => {
  it('reads the config.toml written by wg init, and a missing file means defaults', async (ctx) => {
    const q = await tmp.project(ctx);
    const path = join(q.wgDir, 'config.toml');
    expect(readFileSync(path, 'utf8')).toBe(DEFAULT_CONFIG_TOML);
    expect(resolveDispatcher(loadConfig(path)).maxAgents).toBe(4);
    expect(loadConfig(join(q.wgDir, 'absent.toml')).dispatcher.executor).toBe('claude');
    writeFileSync(path, '[dispatcher]\nbogus_key = 1\n');
    expect(() => loadConfig(path)).toThrow(new RegExp(`${path.replace(/[/.]/g, '\\$&')}:2: .*bogus_key`));
  });
});

describe("the Rust tool's config.toml", () => {
  const RUST = readFileSync(join(RUST_FIXTURES, 'legacy-project', '.workgraph', 'config.toml'), 'utf8');

  it('the fixture: mapped keys with their units, [coordinator] read as [dispatcher], every other key of the Rust tool ignored', () => {
    const { config, report } = readConfig(RUST, FILE);
    expect(resolveDispatcher(config)).toEqual({
      maxAgents: 3, // [coordinator] max_agents
      pollIntervalMs: 5000, // [coordinator] poll_interval = 5 (whole seconds)
      executor: 'claude',
      model: 'claude:opus', // [agent] model
      agentTimeoutMs: 45 * 60_000,
      heartbeatTimeoutMs: 5 * 60_000, // [agent] heartbeat_timeout = 5 (minutes)
      killGraceMs: 5000,
      retryDebounceMs: 10_000,
      settlingDelayMs: 2000, // settling_delay_ms = 2000
    });
    expect(config.agency).toMatchObject({ auto_evaluate: true, eval_gate_threshold: 0.7, max_eval_rescues: 3, evaluator_model: 'claude:haiku' });
    const use = Object.fromEntries(report.keys.map((k) => [k.key, k.use]));
    expect(use).toMatchObject({
      'coordinator.max_agents': 'wg',
      'coordinator.poll_interval': 'wg',
      'agent.heartbeat_timeout': 'mapped',
      'agent.model': 'mapped',
      'coordinator.settling_delay_ms': 'mapped',
      'coordinator.max_verify_failures': 'mapped',
      'coordinator.chat_agent': 'ignored',
      'dispatcher.resource_management.cleanup_queue_size': 'ignored',
      'models.assigner.tier': 'ignored',
      'llm_endpoints.endpoints': 'ignored',
      'tag_routing': 'ignored',
      'mcp.servers': 'ignored',
      'native_executor.permissions.deny_tools': 'ignored',
      'agent.command_template': 'obsolete',
    });
    expect(report.keys.filter((k) => k.use === 'ignored')).toHaveLength(34);
    // Every key is located, for `wg config lint`.
    for (const k of report.keys) expect(k.line, k.key).toBeGreaterThan(0);
    expect(report.keys.find((k) => k.key === 'agent.heartbeat_timeout')).toEqual({ key: 'agent.heartbeat_timeout', line: 8, use: 'mapped', note: '→ dispatcher.heartbeat_timeout (minutes)' });
    expect(report.notes).toEqual(["[coordinator] is the Rust tool's legacy name of [dispatcher]: read as [dispatcher]"]);
    expect(report.sources['dispatcher.heartbeat_timeout']).toBe(`${FILE}:8 (agent.heartbeat_timeout, minutes)`);
  });

  it('units: whole seconds, minutes and milliseconds become wg durations', () => {
    const d = (text: string) => resolveDispatcher(parseConfig(text, FILE));
    expect(d('[agent]\nheartbeat_timeout = 2\n').heartbeatTimeoutMs).toBe(120_000);
    expect(d('[dispatcher]\npoll_interval = 7\n').pollIntervalMs).toBe(7000);
    expect(d('[dispatcher]\nsafety_interval = 3\n').pollIntervalMs).toBe(3000);
    expect(d('[dispatcher]\nsettling_delay_ms = 250\n').settlingDelayMs).toBe(250);
    expect(d('[dispatcher]\npoll_interval = "1500ms"\n').pollIntervalMs).toBe(1500); // wg's own spelling still works
  });

  it("wg's own key wins over a mapped key of the Rust tool, and [dispatcher] over [coordinator], key by key", () => {
    const { config, report } = readConfig('[agent]\nheartbeat_timeout = 9\nmodel = "claude:haiku"\n[dispatcher]\nheartbeat_timeout = "30s"\nmax_agents = 2\n[coordinator]\nmax_agents = 7\nagent_timeout = "1h"\n', FILE);
    expect(resolveDispatcher(config)).toMatchObject({ heartbeatTimeoutMs: 30_000, maxAgents: 2, agentTimeoutMs: 3_600_000, model: 'claude:haiku' });
    expect(report.keys.find((k) => k.key === 'agent.heartbeat_timeout')?.note).toBe('not used: dispatcher.heartbeat_timeout is set');
    expect(report.sources['dispatcher.agent_timeout']).toBe(`${FILE}:9`);
  });

  it('a mapped key of the wrong type names the expected form and the line', () => {
    expect(configError('[project]\nname = "x"\n[agent]\nheartbeat_timeout = "5m"\n').message).toBe(`${FILE}:4: agent.heartbeat_timeout: expected whole minutes (an integer), got "5m"`);
    expect(configError('[dispatcher]\nsettling_delay_ms = 1.5\n').message).toBe(`${FILE}:2: dispatcher.settling_delay_ms: expected milliseconds (an integer), got 1.5`);
    expect(configError('[dispatcher]\npoll_interval = -1\n').message).toContain(`${FILE}:2: `);
  });

  it("without an executor, the model's provider picks it (as the Rust tool derives it)", () => {
    expect(parseConfig('[agent]\nmodel = "codex:gpt-5"\n', FILE).dispatcher.executor).toBe('codex');
    expect(parseConfig('[dispatcher]\nmodel = "claude:sonnet"\n', FILE).dispatcher.executor).toBe('claude');
    expect(parseConfig('[dispatcher]\nmodel = "openrouter:x/y"\n', FILE).dispatcher.executor).toBe('claude'); // no wg executor for it: the default
    expect(parseConfig('[dispatcher]\nexecutor = "shell"\nmodel = "codex:gpt-5"\n', FILE).dispatcher.executor).toBe('shell');
  });

  it('what wg init writes, and the fixture, are loadable by the Rust tool; wg spellings it cannot load are named by the checker', () => {
    expect(rustLoadsConfig(DEFAULT_CONFIG_TOML).errors).toEqual([]);
    expect(rustLoadsConfig(RUST).errors).toEqual([]);
    expect(rustLoadsConfig('[dispatcher]\npoll_interval = "5s"\n').ok).toBe(false);
  });
});

describe('wg config show / lint', () => {
  it('show: every resolved setting and where it came from; lint: what wg does with each key, and Rust loadability', async (ctx) => {
    const q = await tmp.project(ctx);
    writeFileSync(join(q.wgDir, 'config.toml'), '[agent]\nheartbeat_timeout = 2\n\n[dispatcher]\npoll_interval = "2s"\nmax_agents = 3\n\n[tui]\ncolor_theme = "light"\n');
    const show = await q.wg(['config', 'show', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const rows = Object.fromEntries(show.json<{ settings: Array<{ key: string; value: string; source: string }> }>().settings.map((r) => [r.key, r]));
    expect(rows['dispatcher.max_agents']).toEqual({ key: 'dispatcher.max_agents', value: '3', source: `${join(q.wgDir, 'config.toml')}:6` });
    expect(rows['dispatcher.heartbeat_timeout']).toMatchObject({ value: '2m', source: `${join(q.wgDir, 'config.toml')}:2 (agent.heartbeat_timeout, minutes)` });
    expect(rows['dispatcher.kill_grace']).toMatchObject({ value: '5s', source: 'default' });
    const human = await q.wg(['config', 'show']);
    expect(human.stdout).toMatch(/^dispatcher\.poll_interval +2s +\S+config\.toml:5$/m);

    const lint = await q.wg(['config', 'lint', '--json']);
    expect(lint.code).toBe(0);
    const l = lint.json<{ keys: Array<{ key: string; use: string }>; rust_loadable: boolean; rust_problems: string[] }>();
    expect(l.keys.map((k) => `${k.key}:${k.use}`)).toEqual(['dispatcher.poll_interval:wg', 'dispatcher.max_agents:wg', 'tui.color_theme:ignored', 'agent.heartbeat_timeout:mapped']);
    expect(l.rust_loadable).toBe(false);
    expect(l.rust_problems).toEqual([expect.stringMatching(/poll_interval.*string "2s"/)]);
    const text = (await q.wg(['config', 'lint'])).stdout;
    expect(text).toMatch(/^ignored by wg \(a key of the Rust tool\):\n  tui\.color_theme +line 9$/m);
    expect(text).toMatch(/^the Rust tool cannot load this file/m);

    writeFileSync(join(q.wgDir, 'config.toml'), '[dispatcher]\nmax_agents = 3\nfrobnicate = true\n');
    const bad = await q.wg(['config', 'lint']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`error: ${join(q.wgDir, 'config.toml')}:3: unknown key 'dispatcher.frobnicate'\nhint: see docs/configuration.md for the keys that exist (the Rust tool's keys are accepted too)\n`);
  });
});
