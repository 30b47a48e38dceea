/**
 * Bad input is an ordinary one-line error (issue 14, point 3 and what the fuzzers found):
 * prototype names are unknown names like any other — as commands, executors, priority names,
 * agent ids in the registry — and numbers or durations too large for the store are refused
 * before anything is written (an `--max-retries 99999999999999999999` used to be written and
 * then made graph.jsonl unreadable).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeRegistry } from '../helpers/files.js';
import { project, type Project } from '../helpers/project.js';
import { isOneLineError } from '../helpers/wg.js';

const PROTO = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

let p: Project | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe('prototype names are ordinary unknown names', () => {
  it.each(PROTO)('wg %s: unknown command, exit 2, one line', (word) => {
    p = project();
    const r = p.run([word]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toContain(`unknown command '${word}'`);
    const j = p.run(['--json', word]);
    expect(j.json()).toMatchObject({ error: { code: 'invalid_argument' } });
  });

  it('wg add --priority constructor: an invalid priority', () => {
    p = project();
    const r = p.run(['add', 'x', '--priority', 'constructor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid priority 'constructor'/);
    expect(p.tasks()).toEqual([]);
  });

  it.each(['toString', '__proto__', 'constructor'])('executor = "%s": an unconfigured executor in service status, not an internal error', (name) => {
    p = project();
    p.add('t');
    writeFileSync(join(p.wgDir, 'config.toml'), `[dispatcher]\nexecutor = "${name}"\n`);
    for (const args of [['service', 'status'], ['--json', 'service', 'status']]) {
      const r = p.run(args);
      expect(r.code, r.stderr).toBe(0);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/internal error/);
      expect(r.stdout).toContain(`executor '${name}' is not configured`);
    }
  });

  it.each(PROTO)('a registry agent id %s is looked up as its own key only', (id) => {
    p = project();
    p.add('t');
    writeRegistry(p.wgDir, [{ id: 'agent-1', task_id: 't', status: 'dead' }]);
    for (const args of [['heartbeat', id], ['agents', 'kill', id], ['kill', id]]) {
      const r = p.run(args);
      expect([1, 2]).toContain(r.code);
      expect(isOneLineError(r.stderr), `${args.join(' ')}: ${r.stderr}`).toBe(true);
    }
  });
});

describe('numbers and durations beyond what the store can hold are refused, nothing written', () => {
  it.each([
    [['add', 'x', '--max-retries', '99999999999999999999'], /--max-retries: '99999999999999999999' is too large/],
    [['add', 'x', '--not-before', '99999999999999d'], /invalid timestamp for --not-before/],
    [['add', 'x', '--not-before', '+99999999999999999999h'], /invalid timestamp for --not-before/],
    [['add', 'x', '--timeout', '99999999999999999999d'], /invalid duration for --timeout[\s\S]*at most 100 years/],
    [['recover', '--max-attempts', '1e3'], /invalid value for --max-attempts/],
  ])('wg %j', (args, message) => {
    p = project();
    const before = readFileSync(p.graphPath);
    const r = p.run(args);
    expect(r.code).toBe(2);
    expect(isOneLineError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(readFileSync(p.graphPath)).toEqual(before);
  });

  it('a config duration over 100 years is an invalid config', () => {
    p = project();
    writeFileSync(join(p.wgDir, 'config.toml'), '[dispatcher]\nagent_timeout = "99999999999999999d"\n');
    const r = p.run(['service', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/agent_timeout.*at most 100 years/);
  });

  it('WG_CLAIM_EPOCH beyond an exact integer is a usage error', () => {
    p = project();
    p.add('t');
    const r = p.run(['log', 't', 'hi'], { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 't', WG_CLAIM_EPOCH: '99999999999999999999' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid WG_CLAIM_EPOCH/);
  });
});
