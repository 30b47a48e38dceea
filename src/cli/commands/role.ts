import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { addRole, readAgents, readRoles, type Role } from '../../agency/files.js';
import { requireName, resolveRef, shortId } from '../../agency/identity.js';
import { formatTimestamp } from '../../core/time.js';
import { table } from '../../render/table.js';
import { collect } from '../parse.js';
import { CliContext } from '../context.js';

export function roleLines(r: Role): string[] {
  return [
    `Role ${r.name} (${shortId(r.id)})`,
    `  id           ${r.id}`,
    `  description  ${r.description}`,
    ...(r.skills?.length ? [`  skills       ${r.skills.join(', ')}`] : []),
    ...(r.outcome ? [`  outcome      ${r.outcome}`] : []),
  ];
}

export function register(program: Command): void {
  const role = program.command('role').description('agency roles: what an agent does (add, list, show)');

  role
    .command('add')
    .description('add a role (its id is the SHA-256 of its content; the same content is found, not duplicated)')
    .argument('<name>', 'a short name, e.g. programmer')
    .requiredOption('-d, --description <text>', 'what this role does')
    .option('--skill <skill>', 'a skill (repeatable)', collect)
    .option('--outcome <text>', 'the desired outcome of its work')
    .action((name: string, flags: { description: string; skill?: string[]; outcome?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const n = requireName('role', name);
      if (!flags.description.trim()) throw usageError('empty role description', 'say what the role does: --description "Writes tested code"');
      const skills = [...new Set((flags.skill ?? []).map((s) => s.trim()).filter(Boolean))];
      const r = addRole(ctx.paths, { name: n, description: flags.description, ...(skills.length ? { skills } : {}), ...(flags.outcome?.trim() ? { outcome: flags.outcome } : {}) }, formatTimestamp(ctx.clock.now()));
      ctx.out({ role: r.item, created: r.created }, () => (r.created ? `Added role ${r.item.name} (${shortId(r.item.id)})` : `Role ${r.item.name} (${shortId(r.item.id)}) already exists with this content`));
    });

  role
    .command('list')
    .description('list roles')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const roles = readRoles(ctx.paths);
      ctx.out(roles, () => (roles.length ? table(roles.map((r) => [shortId(r.id), r.name, r.description]), { header: ['ID', 'NAME', 'DESCRIPTION'] }) : "No roles (run 'wg agency init' for a starter set, or 'wg role add')"));
    });

  role
    .command('show')
    .description('show a role (by name or unique id prefix)')
    .argument('<role>', 'name or id prefix')
    .action((ref: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const r = resolveRef('role', ref, readRoles(ctx.paths), 'wg role list');
      const agents = readAgents(ctx.paths).filter((a) => a.role_id === r.id);
      ctx.out({ ...r, agents: agents.map((a) => a.id) }, () => [...roleLines(r), `  agents       ${agents.length ? agents.map((a) => shortId(a.id)).join(', ') : '(none)'}`]);
    });
}
