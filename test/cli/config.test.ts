/**
 * `.wg/config.toml` (SPEC §9). No CLI command reads it yet (the service will), so parseConfig is
 * tested directly: unknown keys name the key and the file, bad values name the expected form,
 * defaults are filled in. One subprocess checks that `wg init` writes a config that parses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_TOML, loadConfig, parseConfig, resolveDispatcher } from '../../src/config.js';
import { WgError } from '../../src/core/errors.js';
import { tempDirsPerTest } from '../helpers/project.js';

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
      idle_timeout: '10m',
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
      idleTimeoutMs: 10 * 60_000,
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

  it('invalid TOML names the file', () => {
    const e = configError('[dispatcher\nmax_agents = 3\n');
    expect(e.code).toBe('invalid_config');
    expect(e.message).toMatch(new RegExp(`^${FILE.replace(/[/.]/g, '\\$&')}: invalid TOML`));
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
    expect(() => loadConfig(path)).toThrow(new RegExp(`${path.replace(/[/.]/g, '\\$&')}: .*bogus_key`));
  });
});
