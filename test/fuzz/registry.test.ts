/**
 * Fuzz: mutated service/registry.json against the built `wg` (issue 14, points 1 and 9), in a
 * private PID namespace with a bystander process. The registry's pids and process groups are
 * set to 0, 1, -1, the bystander's, the other agent's, the runner's (PID 1 of the namespace),
 * absurd numbers; start times are dropped or swapped; statuses, ids and hosts are mangled;
 * prototype names become agent ids. Then a command that reads the registry or kills agents.
 *
 * Beyond exit 0–3 and one-line errors: the bystander always survives, and a stand-in agent
 * may die only if a registry record names it exactly (its pid, its process group, its start
 * time) — wg signals nothing it cannot prove is its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE_REGISTRY, baseFiles, registryText, TASK_IDS, WATCH } from './base.js';
import { applyText, findings, FUZZ_SEED, fuzzRuns, report, runBatch, setKey, textMutation, WEIRD_NUMBERS, WEIRD_STRINGS, type CaseResult, type FuzzCase, type TextMutation } from './fuzz.js';

const PIDS: unknown[] = [0, 1, -1, 2, 3, 4, 5, 6, 7, 8, -2, 2 ** 31, 2 ** 53, 1.5, '12', null, '@@BYSTANDER_PID@@', '@@AGENT1_PID@@', '@@AGENT2_PID@@', '@@RUNNER_PID@@', 4194304];
const STARTS: unknown[] = ['@@BYSTANDER_START@@', '@@AGENT1_START@@', '@@AGENT2_START@@', '0', '', 'abc', 12, null];
const FIELDS: Array<[string, fc.Arbitrary<unknown>]> = [
  ['pid', fc.constantFrom(...PIDS)],
  ['pgid', fc.constantFrom(...PIDS)],
  ['proc_start', fc.constantFrom(...STARTS)],
  ['host', fc.constantFrom('@@HOST@@', 'elsewhere', '', '__proto__')],
  ['status', fc.constantFrom('starting', 'working', 'done', 'failed', 'dead', 'idle', 'stopping', 'parked', 'frozen', '__proto__', '')],
  ['task_id', fc.constantFrom(...TASK_IDS)],
  ['id', fc.constantFrom('agent-1', 'agent-2', 'agent-9', '__proto__', '')],
  ['claim_epoch', fc.constantFrom(...WEIRD_NUMBERS)],
  ['started_at', fc.constantFrom('@@PAST@@', '@@NOW@@', 'not a date', '2000-01-01T00:00:00Z', '')],
  ['last_heartbeat', fc.constantFrom('@@PAST@@', '@@NOW@@', 'not a date', '2000-01-01T00:00:00Z')],
  ['exit_code', fc.constantFrom(0, 1, -1, null, 1.5, 'x')],
  ['executor', fc.constantFrom(...WEIRD_STRINGS)],
  ['output_file', fc.constantFrom('../../../etc/passwd', '', '/dev/null', '__proto__')],
  ['__proto__', fc.constantFrom({}, null, { pid: 1 })],
];
const AGENT_KEYS = ['agent-1', 'agent-2', 'agent-3', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'agent-9', ''];

type RegMutation = { op: 'field'; agent: string; field: number; value: unknown } | { op: 'drop'; agent: string; field: number } | { op: 'top'; key: string; value: unknown } | { op: 'text'; muts: TextMutation[] };

/** The identity of agent-1 or agent-2 (pid, pgid, start time), each part kept or replaced: the kill path's inputs. */
type IdentityMutation = { op: 'identity'; agent: string; pid?: unknown; pgid?: unknown; start?: unknown; dropPgid: boolean };
const keepOr = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.option(a, { nil: undefined, freq: 3 });
const identity: fc.Arbitrary<IdentityMutation> = fc.record({
  op: fc.constant('identity' as const),
  agent: fc.constantFrom('agent-1', 'agent-2'),
  pid: keepOr(fc.constantFrom(...PIDS)),
  pgid: keepOr(fc.constantFrom(...PIDS)),
  start: keepOr(fc.constantFrom(...STARTS)),
  dropPgid: fc.boolean(),
});

const regMutation: fc.Arbitrary<RegMutation | IdentityMutation> = fc.oneof(
  { weight: 8, arbitrary: identity },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: FIELDS.length - 1 }).chain((field) => fc.record({ op: fc.constant('field' as const), agent: fc.constantFrom(...AGENT_KEYS), field: fc.constant(field), value: FIELDS[field]![1] })),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), agent: fc.constantFrom('agent-1', 'agent-2'), field: fc.integer({ min: 0, max: FIELDS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('top' as const), key: fc.constantFrom('agents', 'next_agent_id', '__proto__'), value: fc.constantFrom(null, [], 'x', 0, -1, 1.5, 2 ** 53, {}, { 'agent-1': null }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('text' as const), muts: fc.array(textMutation, { minLength: 1, maxLength: 2 }) }) },
);

function mutatedRegistry(muts: Array<RegMutation | IdentityMutation>): string {
  const reg = JSON.parse(JSON.stringify(BASE_REGISTRY)) as { agents: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const text: TextMutation[] = [];
  for (const m of muts) {
    if (m.op === 'text') text.push(...m.muts);
    else if (m.op === 'top') setKey(reg, m.key, m.value);
    else if (m.op === 'identity') {
      const a = reg.agents && typeof reg.agents === 'object' && Object.hasOwn(reg.agents, m.agent) ? reg.agents[m.agent] : undefined;
      if (!a || typeof a !== 'object') continue;
      if (m.pid !== undefined) a.pid = m.pid;
      if (m.pgid !== undefined) a.pgid = m.pgid;
      if (m.start !== undefined) a.proc_start = m.start;
      if (m.dropPgid) delete a.pgid;
    }
    else if (reg.agents && typeof reg.agents === 'object' && !Array.isArray(reg.agents)) {
      let a = Object.hasOwn(reg.agents, m.agent) ? reg.agents[m.agent] : undefined;
      if (!a || typeof a !== 'object') {
        a = { ...(reg.agents['agent-1'] ?? {}), id: m.agent };
        setKey(reg.agents, m.agent, a);
      }
      if (m.op === 'drop') delete a[FIELDS[m.field]![0]];
      else setKey(a, FIELDS[m.field]![0], m.value);
    }
  }
  return applyText(registryText(reg), text);
}

/** Commands that kill agents (weighted up: the point of this target), then the readers. */
const KILLERS: string[][] = [
  ['retry', 't-prog'],
  ['retry', 't-prog2'],
  ['reset', 't-prog', '--yes'],
  ['kill', '{agent}'],
  ['kill', '{agent}', '--redispatch'],
  ['agents', 'kill', '{agent}'],
  ['agents', 'kill', '{agent}', '--force'],
  ['service', 'stop', '--kill-agents'],
];
const READERS: string[][] = [
  ['agents'],
  ['--json', 'agents'],
  ['agents', '--alive'],
  ['sweep'],
  ['reap'],
  ['service', 'status'],
  ['--json', 'service', 'status'],
  ['unclaim', 't-prog'],
  ['requeue', 't-prog', '--reason', 'r'],
  ['heartbeat', '{agent}'],
  ['check'],
  ['status'],
  ['service', 'tick'],
];
const command = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KILLERS) }, { weight: 2, arbitrary: fc.constantFrom(...READERS) });

const registryCase: fc.Arbitrary<FuzzCase> = fc
  .record({ muts: fc.array(regMutation, { minLength: 1, maxLength: 3 }), cmd: command, agent: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('agent-1', 'agent-2') }, { weight: 1, arbitrary: fc.constantFrom(...AGENT_KEYS) }) })
  .map(({ muts, cmd, agent }) => {
    const registry = mutatedRegistry(muts);
    return { files: baseFiles({ registry }), argvs: [cmd.map((x) => x.replace('{agent}', agent))], watch: WATCH, note: JSON.stringify(registry) };
  });

/** A stand-in agent may die only if some record names it exactly: pid, group (pgid, else pid) and start time. */
function wronglyKilled(c: FuzzCase, r: CaseResult): string | undefined {
  const text = c.files['.wg/service/registry.json']!.replace(/@@([A-Z0-9_]+)@@/g, (m, name: string) => String(r.vars[name] ?? m));
  let records: Array<Record<string, unknown>> = [];
  try {
    const reg = JSON.parse(text) as { agents?: unknown };
    if (reg.agents && typeof reg.agents === 'object') records = Object.values(reg.agents as Record<string, Record<string, unknown>>).filter((a) => a && typeof a === 'object');
  } catch {
    // unreadable: no record names anyone
  }
  for (const a of r.agents) {
    if (!a.died) continue;
    const named = records.some((x) => x.pid === a.pid && (x.pgid ?? x.pid) === a.pid && x.proc_start === a.start);
    if (!named) return `agent process ${a.pid} was killed though no registry record names it exactly`;
  }
  return undefined;
}

describe('fuzz: mutated registry.json (private PID namespace, a bystander that must survive)', () => {
  it('every command ends with exit 0–3 and a one-line error; nothing that is not provably an agent is signalled', async () => {
    const cases = fc.sample(registryCase, { seed: FUZZ_SEED, numRuns: fuzzRuns(40) });
    // One case at a time: a stray signal is then pinned on the case that sent it.
    const results = await runBatch(cases, { concurrency: 1, agents: 2 });
    const found = findings(cases, results, wronglyKilled);
    expect(found.length, report('registry', cases, found, [])).toBe(0);
  }, 300_000);
});
