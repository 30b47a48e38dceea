import type { Command } from 'commander';
import { addAgent, readAgents, readRoles, readTradeoffs, type AgencyAgent, type Role, type Tradeoff } from '../../agency/files.js';
import { readEvaluations } from '../../agency/evaluations.js';
import { requireName, resolveRef, shortId } from '../../agency/identity.js';
import { rollup } from '../../agency/rubric.js';
import { formatTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { usageError } from '../../core/errors.js';
import { CliContext } from '../context.js';
import { collectList } from '../parse.js';

const label = (a: AgencyAgent, roles: Role[], tradeoffs: Tradeoff[]): { role: string; tradeoff: string } => ({
  role: roles.find((r) => r.id === a.role_id)?.name ?? `${shortId(a.role_id)} (missing)`,
  tradeoff: tradeoffs.find((t) => t.id === a.tradeoff_id)?.name ?? `${shortId(a.tradeoff_id)} (missing)`,
});

const mean = (m: number | undefined): string => (m === undefined ? '-' : m.toFixed(2));

interface AgentCreateFlags {
  role?: string;
  tradeoff?: string;
  motivation?: string;
  name?: string;
  capabilities?: string[];
  rate?: string;
  capacity?: string;
  trustLevel?: string;
  contact?: string;
  executor?: string;
  model?: string;
  provider?: string;
}

const TRUST_LEVELS = ['verified', 'provisional', 'unknown'];

/** The Rust tool's descriptive flags, checked and named as it stores them. */
function agentAttributes(f: AgentCreateFlags): Record<string, unknown> {
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw usageError(`invalid ${flag} '${v}'`, 'use a non-negative number');
    return n;
  };
  if (f.trustLevel !== undefined && !TRUST_LEVELS.includes(f.trustLevel)) throw usageError(`invalid --trust-level '${f.trustLevel}'`, `use one of: ${TRUST_LEVELS.join(', ')}`);
  const out: Record<string, unknown> = {
    capabilities: f.capabilities?.length ? f.capabilities : undefined,
    rate: num('--rate', f.rate),
    capacity: num('--capacity', f.capacity),
    trust_level: f.trustLevel,
    contact: f.contact,
    executor: f.executor,
    model: f.model,
    provider: f.provider,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

export function register(program: Command): void {
  const agent = program.command('agent').description('agency identities: a role + a tradeoff, identified by their SHA-256 (create, list, show)');

  agent
    .command('create')
    .description('create an agent identity from a role and a tradeoff (names or unique id prefixes)')
    .argument('[name]', 'a label for the identity (the Rust tool\'s spelling; or --name)')
    .option('--role <role>', 'role name or id prefix (required)')
    .option('--tradeoff <tradeoff>', 'tradeoff name or id prefix (required)')
    .option('--motivation <tradeoff>', 'the same as --tradeoff (the Rust tool\'s older name)')
    .option('--name <name>', 'a label for the identity')
    // Recorded on the identity, as the Rust tool records them.
    .option('--capabilities <list>', 'comma-separated capabilities', collectList)
    .option('--rate <n>', 'cost rate')
    .option('--capacity <n>', 'capacity')
    .option('--trust-level <level>', 'verified | provisional | unknown')
    .option('--contact <text>', 'how to reach a human agent')
    .option('--executor <name>', 'executor of this agent')
    .option('--model <model>', 'model of this agent')
    .option('--provider <name>', 'provider of the model')
    .action((positional: string | undefined, flags: AgentCreateFlags, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (positional !== undefined && flags.name !== undefined && positional !== flags.name) throw usageError(`two names given: '${positional}' and --name '${flags.name}'`, 'give the name once');
      if (flags.tradeoff !== undefined && flags.motivation !== undefined && flags.tradeoff !== flags.motivation) throw usageError('--tradeoff and --motivation name the same thing: give one');
      const tradeoffRef = flags.tradeoff ?? flags.motivation;
      // The Rust tool also makes human agents with neither; a wg identity is a role plus a tradeoff.
      if (flags.role === undefined || tradeoffRef === undefined) {
        throw usageError('an agent identity needs --role and --tradeoff', `wg agent create ${positional ?? flags.name ?? 'NAME'} --role R --tradeoff T (wg role list, wg tradeoff list)`);
      }
      const given = positional ?? flags.name;
      const name = given !== undefined ? requireName('agent', given) : undefined;
      const role = resolveRef('role', flags.role, readRoles(ctx.paths), 'wg role list');
      const tradeoff = resolveRef('tradeoff', tradeoffRef, readTradeoffs(ctx.paths), 'wg tradeoff list');
      const r = addAgent(ctx.paths, role, tradeoff, name, formatTimestamp(ctx.clock.now()), agentAttributes(flags));
      ctx.out({ agent: r.item, created: r.created }, () =>
        r.created ? `Created agent ${shortId(r.item.id)} (role ${role.name}, tradeoff ${tradeoff.name})` : `Agent ${shortId(r.item.id)} (role ${role.name}, tradeoff ${tradeoff.name}) already exists`,
      );
    });

  agent
    .command('list')
    .description('list agent identities with their evaluation count and mean score')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const agents = readAgents(ctx.paths);
      const roles = readRoles(ctx.paths);
      const tradeoffs = readTradeoffs(ctx.paths);
      const evals = agents.length ? readEvaluations(ctx.paths) : [];
      const rows = agents.map((a) => ({ agent: a, ...label(a, roles, tradeoffs), ...rollup(evals, a.id) }));
      ctx.out(
        rows.map((r) => ({ ...r.agent, role: r.role, tradeoff: r.tradeoff, evaluations: r.count, mean_score: r.mean ?? null })),
        () =>
          rows.length
            ? table(
                rows.map((r) => [shortId(r.agent.id), r.agent.name ?? '-', r.role, r.tradeoff, String(r.count), mean(r.mean)]),
                { header: ['ID', 'NAME', 'ROLE', 'TRADEOFF', 'EVALS', 'MEAN'] },
              )
            : "No agents (create one: wg agent create --role R --tradeoff T)",
      );
    });

  agent
    .command('show')
    .description('show an agent identity: role, tradeoff, tasks, mean evaluation score and count')
    .argument('<agent>', 'agent name or unique id prefix')
    .action((ref: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const a = resolveRef('agent', ref, readAgents(ctx.paths), 'wg agent list');
      const roles = readRoles(ctx.paths);
      const tradeoffs = readTradeoffs(ctx.paths);
      const role = roles.find((r) => r.id === a.role_id);
      const tradeoff = tradeoffs.find((t) => t.id === a.tradeoff_id);
      const evals = readEvaluations(ctx.paths);
      const r = rollup(evals, a.id);
      const tasks = [...ctx.store().load().graph.tasks.values()].filter((t) => t.agent === a.id).map((t) => ({ id: t.id, status: t.status }));
      ctx.out({ ...a, role: role ?? null, tradeoff: tradeoff ?? null, evaluations: r.count, mean_score: r.mean ?? null, tasks }, () => [
        `Agent ${shortId(a.id)}${a.name ? ` (${a.name})` : ''}`,
        `  id           ${a.id}`,
        `  role         ${role ? `${role.name} (${shortId(role.id)}): ${role.description}` : `${shortId(a.role_id)} (missing from .wg/agency/roles)`}`,
        `  tradeoff     ${tradeoff ? `${tradeoff.name} (${shortId(tradeoff.id)}): ${tradeoff.description}` : `${shortId(a.tradeoff_id)} (missing from .wg/agency/tradeoffs)`}`,
        `  evaluations  ${r.count}`,
        `  mean score   ${mean(r.mean)}`,
        `  tasks        ${tasks.length ? tasks.map((t) => `${t.id} (${t.status})`).join(', ') : '(none)'}`,
      ]);
    });
}
