/**
 * Agency identities (SPEC §8), pure: content hashes of roles and tradeoffs, the agent identity
 * hash of a (role, tradeoff) pair, and resolution of a user's name or hex-prefix reference.
 *
 * - role id     = SHA-256 of its canonical content `{description, outcome, skills (sorted)}`
 * - tradeoff id = SHA-256 of its canonical content `{description, acceptable, unacceptable}`
 * - agent id    = SHA-256 of `role_id: <role>\nmotivation_id: <tradeoff>\n` — the YAML the Rust
 *   tool hashes (its legacy field name "motivation_id" kept for hash stability).
 * Names are labels only: renaming never changes an identity. Ids are lowercase hex, displayed
 * by their 8-character prefix and accepted by any unique prefix.
 */
import { usageError, WgError } from '../core/errors.js';

// node:crypto on first use: `wg show` and other readers load this module but rarely hash (~10 ms of start-up).
export const sha256 = (text: string): string => process.getBuiltinModule('node:crypto').createHash('sha256').update(text, 'utf8').digest('hex');
export const shortId = (id: string): string => id.slice(0, 8);

export interface RoleContent {
  description: string;
  outcome?: string | undefined;
  skills?: string[] | undefined;
}

export interface TradeoffContent {
  description: string;
  acceptable?: string[] | undefined;
  unacceptable?: string[] | undefined;
}

const sortedUnique = (xs: string[] | undefined): string[] => [...new Set((xs ?? []).map((s) => s.trim()).filter(Boolean))].sort();

export function roleId(r: RoleContent): string {
  return sha256(JSON.stringify({ description: r.description.trim(), outcome: (r.outcome ?? '').trim(), skills: sortedUnique(r.skills) }));
}

export function tradeoffId(t: TradeoffContent): string {
  // Order matters in a tradeoff list only as presentation: the identity is the set.
  return sha256(JSON.stringify({ description: t.description.trim(), acceptable: sortedUnique(t.acceptable), unacceptable: sortedUnique(t.unacceptable) }));
}

export function agentIdentity(roleIdHex: string, tradeoffIdHex: string): string {
  return sha256(`role_id: ${roleIdHex}\nmotivation_id: ${tradeoffIdHex}\n`);
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function requireName(kind: string, name: string): string {
  const n = name.trim();
  if (!NAME_PATTERN.test(n)) {
    throw usageError(`invalid ${kind} name '${name}'`, 'names are lowercase letters, digits, ".", "_" and "-", start with a letter or digit, at most 64 chars');
  }
  return n;
}

export interface Named {
  id: string;
  name?: string | null | undefined;
}

/**
 * A reference to one item: an exact name wins, else a unique id prefix (case-insensitive hex).
 * Unknown → not found (exit 1); a prefix matching several → usage error (exit 2) listing them.
 */
export function resolveRef<T extends Named>(kind: string, ref: string, items: T[], listCommand: string): T {
  const r = ref.trim();
  if (!r) throw usageError(`empty ${kind} reference`, `give a ${kind} name or id prefix (see '${listCommand}')`);
  const byName = items.filter((i) => i.name === r);
  if (byName.length === 1) return byName[0]!;
  const lower = r.toLowerCase();
  const matches = /^[0-9a-f]+$/.test(lower) ? items.filter((i) => i.id.startsWith(lower)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1 || byName.length > 1) {
    const all = matches.length > 1 ? matches : byName;
    throw usageError(
      `ambiguous ${kind} '${r}': matches ${all.length} ${kind}s (${all.slice(0, 4).map((i) => `${shortId(i.id)}${i.name ? ` ${i.name}` : ''}`).join(', ')}${all.length > 4 ? ', …' : ''})`,
      'give more characters of the id',
    );
  }
  throw new WgError('not_found', `unknown ${kind} '${r}'`, { hint: items.length ? `run '${listCommand}' to see them` : `create one first (or run 'wg agency init' for a starter set)` });
}
