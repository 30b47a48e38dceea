import type { Command } from 'commander';
import { addRole, addTradeoff, readRoles, readTradeoffs, STARTER_ROLES, STARTER_TRADEOFFS, type Added } from '../../agency/files.js';
import { WgError } from '../../core/errors.js';
import { shortId } from '../../agency/identity.js';
import { formatTimestamp } from '../../core/time.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  const agency = program.command('agency').description('the agency: roles, tradeoffs, agent identities, evaluations (init)');
  agency
    .command('init')
    .description('create a starter set of roles and tradeoffs (idempotent)')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const now = formatTimestamp(ctx.clock.now());
      // A name the user already gave to different content is kept as it is.
      const roles = STARTER_ROLES.map((r) => keep(() => addRole(ctx.paths, r, now), () => readRoles(ctx.paths).find((x) => x.name === r.name)!));
      const tradeoffs = STARTER_TRADEOFFS.map((t) => keep(() => addTradeoff(ctx.paths, t, now), () => readTradeoffs(ctx.paths).find((x) => x.name === t.name)!));
      const created = roles.filter((r) => r.created).length + tradeoffs.filter((t) => t.created).length;
      ctx.out({ roles: roles.map((r) => ({ ...r.item, created: r.created })), tradeoffs: tradeoffs.map((t) => ({ ...t.item, created: t.created })) }, () => [
        created ? `Agency initialized: ${roles.filter((r) => r.created).length} role(s), ${tradeoffs.filter((t) => t.created).length} tradeoff(s) created` : 'Agency already initialized (nothing to create)',
        `  roles:     ${roles.map((r) => `${r.item.name} (${shortId(r.item.id)})`).join(', ')}`,
        `  tradeoffs: ${tradeoffs.map((t) => `${t.item.name} (${shortId(t.item.id)})`).join(', ')}`,
        'Next: wg agent create --role programmer --tradeoff careful',
      ]);
    });
}

function keep<T>(add: () => Added<T>, existing: () => T): Added<T> {
  try {
    return add();
  } catch (e) {
    if (e instanceof WgError && e.code === 'already_exists') return { item: existing(), created: false };
    throw e;
  }
}
