import type { Command } from 'commander';
import { addAgent, readAgents, readRoles, readTradeoffs, type AgencyAgent, type Role, type Tradeoff } from '../../agency/files.js';
import { readEvaluations } from '../../agency/evaluations.js';
import { requireName, resolveRef, shortId } from '../../agency/identity.js';
import { rollup } from '../../agency/rubric.js';
import { formatTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';

const label = (a: AgencyAgent, roles: Role[], tradeoffs: Tradeoff[]): { role: string; tradeoff: string } => ({
  role: roles.find((r) => r.id === a.role_id)?.name ?? `${shortId(a.role_id)} (missing)`,
  tradeoff: tradeoffs.find((t) => t.id === a.tradeoff_id)?.name ?? `${shortId(a.tradeoff_id)} (missing)`,
});

const mean = (m: number | undefined): string => (m === undefined ? '-' : m.toFixed(2));

export function register(program: Command): void {
  const agent = program.command('agent').description('agency identities: a role + a tradeoff, identified by their SHA-256 (create, list, show)');

  agent
    .command('create')
    .description('create an agent identity from a role and a tradeoff (names or unique id prefixes)')
    .requiredOption('--role <role>', 'role name or id prefix')
    .requiredOption('--tradeoff <tradeoff>', 'tradeoff name or id prefix')
    .option('--name <name>', 'a label for the identity')
    .action((flags: { role: string; tradeoff: string; name?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const name = flags.name !== undefined ? requireName('agent', flags.name) : undefined;
      const role = resolveRef('role', flags.role, readRoles(ctx.paths), 'wg role list');
      const tradeoff = resolveRef('tradeoff', flags.tradeoff, readTradeoffs(ctx.paths), 'wg tradeoff list');
      const r = addAgent(ctx.paths, role, tradeoff, name, formatTimestamp(ctx.clock.now()));
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
    .action(async (ref: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const a = resolveRef('agent', ref, readAgents(ctx.paths), 'wg agent list');
      const roles = readRoles(ctx.paths);
      const tradeoffs = readTradeoffs(ctx.paths);
      const role = roles.find((r) => r.id === a.role_id);
      const tradeoff = tradeoffs.find((t) => t.id === a.tradeoff_id);
      const evals = readEvaluations(ctx.paths);
      const r = rollup(evals, a.id);
      const tasks = [...(await ctx.graph()).tasks.values()].filter((t) => t.agent === a.id).map((t) => ({ id: t.id, status: t.status }));
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
