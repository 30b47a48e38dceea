/**
 * Recovery commands against a poisoned registry (issue 14, point 1), with the built `wg` in a
 * private PID namespace (as root: `unshare --pid --fork --mount-proc`) next to a bystander
 * process. Before the fix, `"pgid": 1` made `wg retry` call kill(-1, SIGTERM) then SIGKILL —
 * every process on the machine but init — and `"pgid": 0` signalled wg's own group. A record
 * that does not provably name the agent is marked dead, reported, and never signalled.
 */
import { describe, expect, it } from 'vitest';
import { BASE_REGISTRY, baseAgent, baseFiles, registryText } from '../fuzz/base.js';
import { runBatch, type FuzzCase } from '../fuzz/fuzz.js';

const REGISTRY = '.wg/service/registry.json';

/** The base registry with agent-1's identity replaced. */
function poisoned(identity: Record<string, unknown>, drop: string[] = []): string {
  const a1 = { ...baseAgent(1, 't-prog'), ...identity };
  for (const k of drop) delete a1[k];
  return registryText({ ...BASE_REGISTRY, agents: { ...(BASE_REGISTRY.agents as object), 'agent-1': a1 } });
}

const POISONS: Array<[string, Record<string, unknown>, string[]]> = [
  ['pgid 1 (kill(-1) would hit every process)', { pgid: 1 }, []],
  ["pgid 0 (kill(0) would hit wg's own group)", { pgid: 0 }, []],
  ["the bystander's group, with the agent's pid and start time", { pgid: '@@BYSTANDER_PID@@' }, []],
  ['pid 1 and pgid 1, no start time', { pid: 1, pgid: 1 }, ['proc_start']],
  ['a negative pgid', { pgid: -1 }, []],
  ["the bystander's pid, no start time", { pid: '@@BYSTANDER_PID@@', pgid: '@@BYSTANDER_PID@@' }, ['proc_start']],
];

const COMMANDS = [['retry', 't-prog'], ['kill', 'agent-1'], ['agents', 'kill', 'agent-1', '--force'], ['reset', 't-prog', '--yes']];

describe('recovery commands never signal what the registry cannot prove is their agent', () => {
  it('poisoned records: exit 0, a warning naming the agent, the agent marked dead, the bystander and the agent untouched', async () => {
    const cases: FuzzCase[] = [];
    const labels: string[] = [];
    for (const [label, identity, drop] of POISONS) {
      for (const argv of COMMANDS) {
        // Placeholders stay quoted strings in the JSON: unquote the numeric ones.
        const registry = poisoned(identity, drop).replace(/"(@@[A-Z0-9_]+_PID@@)"/g, '$1');
        cases.push({ files: baseFiles({ registry }), argvs: [argv], read: [REGISTRY] });
        labels.push(`${label}: wg ${argv.join(' ')}`);
      }
    }
    const results = await runBatch(cases, { concurrency: 1, agents: 2 });
    expect(results.length).toBe(cases.length);
    for (const r of results) {
      const label = labels[r.i]!;
      const cmd = r.results[0]!;
      expect(cmd.code, `${label}\n${cmd.stderr}`).toBe(0);
      expect(cmd.stderr, label).toMatch(/^warning: agent-1 was not signalled: [^\n]+; it is marked dead/m);
      expect(cmd.stderr, label).not.toMatch(/internal error|\n\s+at /);
      expect(r.bystander, `${label}: the bystander was killed`).toBe(true);
      expect(r.agents.every((a) => !a.died), `${label}: a stand-in agent was killed`).toBe(true);
      const reg = JSON.parse(r.files[REGISTRY]!) as { agents: Record<string, { status: string }> };
      expect(reg.agents['agent-1']!.status, label).toBe('dead');
    }
  }, 240_000);

  it('an honest record is killed as before, and nothing else is', async () => {
    const cases: FuzzCase[] = COMMANDS.map((argv) => ({ files: baseFiles(), argvs: [argv], read: [REGISTRY] }));
    const results = await runBatch(cases, { concurrency: 1, agents: 2 });
    for (const r of results) {
      const cmd = r.results[0]!;
      expect(cmd.code, cmd.stderr).toBe(0);
      expect(cmd.stderr).not.toContain('not signalled');
      expect(r.agents[0]!.died, `agent-1 survived wg ${COMMANDS[r.i]!.join(' ')}`).toBe(true);
      expect(r.agents[1]!.died).toBe(false);
      expect(r.bystander).toBe(true);
    }
  }, 120_000);
});
