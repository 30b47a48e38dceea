/**
 * Roles, tradeoffs and agent identities on disk: one JSON file each under
 * `.wg/agency/{roles,tradeoffs,agents}/<id>.json`, validated with zod/mini on read (a malformed
 * file is an error naming it — nothing is skipped silently). Content-addressed: adding the same
 * content twice finds the existing file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod/mini';
import { WgError } from '../core/errors.js';
import { writeFileDurable } from '../store/atomic-write.js';
import { readJsonDir } from '../store/json-dir.js';
import type { WgPaths } from '../store/paths.js';
import { agentIdentity, roleId, shortId, tradeoffId } from './identity.js';

const hex = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const strings = z.optional(z.array(z.string()));

export const roleSchema = z.looseObject({
  id: hex,
  name: z.string(),
  description: z.string(),
  skills: strings,
  outcome: z.optional(z.string()),
  created_at: z.optional(z.string()),
});
export type Role = z.infer<typeof roleSchema>;

export const tradeoffSchema = z.looseObject({
  id: hex,
  name: z.string(),
  description: z.string(),
  acceptable: strings,
  unacceptable: strings,
  created_at: z.optional(z.string()),
});
export type Tradeoff = z.infer<typeof tradeoffSchema>;

export const agentSchema = z.looseObject({
  id: hex,
  name: z.optional(z.nullable(z.string())),
  role_id: hex,
  tradeoff_id: hex,
  created_at: z.optional(z.string()),
});
export type AgencyAgent = z.infer<typeof agentSchema>;

export interface RoleInput {
  name: string;
  description: string;
  skills?: string[];
  outcome?: string;
}

export interface TradeoffInput {
  name: string;
  description: string;
  acceptable?: string[];
  unacceptable?: string[];
}

export type Kind = 'roles' | 'tradeoffs' | 'agents';
const SCHEMAS = { roles: roleSchema, tradeoffs: tradeoffSchema, agents: agentSchema } as const;

export const kindDir = (paths: WgPaths, kind: Kind): string => join(paths.agencyDir, kind);

function readAll<T>(paths: WgPaths, kind: Kind): T[] {
  return readJsonDir(kindDir(paths, kind), SCHEMAS[kind]) as T[];
}

export const readRoles = (paths: WgPaths): Role[] => readAll<Role>(paths, 'roles');
export const readTradeoffs = (paths: WgPaths): Tradeoff[] => readAll<Tradeoff>(paths, 'tradeoffs');
export const readAgents = (paths: WgPaths): AgencyAgent[] => readAll<AgencyAgent>(paths, 'agents');

function write(paths: WgPaths, kind: Kind, item: { id: string }): string {
  const dir = kindDir(paths, kind);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${item.id}.json`);
  writeFileDurable(file, JSON.stringify(item, null, 2) + '\n');
  return file;
}

export interface Added<T> {
  item: T;
  created: boolean;
}

const NOUN = { roles: 'role', tradeoffs: 'tradeoff', agents: 'agent' } as const;

/**
 * Every agency add: the ids are content hashes, so the same content is found, not duplicated; a
 * name (when there is one) already used by other content is refused; otherwise the item is
 * built and written.
 */
function addOnce<T extends { id: string; name?: string | null | undefined }>(paths: WgPaths, kind: Kind, id: string, name: string | undefined, build: () => T, hint: string): Added<T> {
  const existing = readAll<T>(paths, kind);
  const same = existing.find((x) => x.id === id);
  if (same) return { item: same, created: false };
  const clash = name === undefined ? undefined : existing.find((x) => x.name === name);
  if (clash) throw new WgError('already_exists', `${NOUN[kind]} name '${name}' is already used by ${NOUN[kind]} ${shortId(clash.id)}`, { hint });
  const item = build();
  write(paths, kind, item);
  return { item, created: true };
}

/** Builds a role from its content; refuses a name already used by a different role. */
export function addRole(paths: WgPaths, input: RoleInput, now: string): Added<Role> {
  const id = roleId(input);
  return addOnce<Role>(
    paths,
    'roles',
    id,
    input.name,
    () => ({ id, name: input.name, description: input.description.trim(), ...(input.skills?.length ? { skills: input.skills } : {}), ...(input.outcome ? { outcome: input.outcome.trim() } : {}), created_at: now }),
    'choose another name (an identical role would be found, not duplicated)',
  );
}

export function addTradeoff(paths: WgPaths, input: TradeoffInput, now: string): Added<Tradeoff> {
  const id = tradeoffId(input);
  return addOnce<Tradeoff>(
    paths,
    'tradeoffs',
    id,
    input.name,
    () => ({
      id,
      name: input.name,
      description: input.description.trim(),
      ...(input.acceptable?.length ? { acceptable: input.acceptable } : {}),
      ...(input.unacceptable?.length ? { unacceptable: input.unacceptable } : {}),
      created_at: now,
    }),
    'choose another name (an identical tradeoff would be found, not duplicated)',
  );
}

/**
 * `attributes`: what the Rust tool's `wg agent create` also records about an agent (capabilities,
 * rate, capacity, trust_level, contact, executor, model, provider), kept on the identity file.
 */
export function addAgent(paths: WgPaths, role: Role, tradeoff: Tradeoff, name: string | undefined, now: string, attributes: Record<string, unknown> = {}): Added<AgencyAgent> {
  const id = agentIdentity(role.id, tradeoff.id);
  return addOnce<AgencyAgent>(paths, 'agents', id, name || undefined, () => ({ id, ...(name ? { name } : {}), role_id: role.id, tradeoff_id: tradeoff.id, ...attributes, created_at: now }), 'choose another --name');
}

/** An agent identity with its role and tradeoff (either may be missing on disk). */
export interface Identity {
  id: string;
  agent: AgencyAgent | undefined;
  role: Role | undefined;
  tradeoff: Tradeoff | undefined;
}

export function loadIdentity(paths: WgPaths, agentHash: string): Identity {
  const agent = readAgents(paths).find((a) => a.id === agentHash);
  const role = agent ? readRoles(paths).find((r) => r.id === agent.role_id) : undefined;
  const tradeoff = agent ? readTradeoffs(paths).find((t) => t.id === agent.tradeoff_id) : undefined;
  return { id: agentHash, agent, role, tradeoff };
}

/** `wg agency init`: a small, general starter set. */
export const STARTER_ROLES: RoleInput[] = [
  {
    name: 'programmer',
    description: 'Writes and changes code to implement the task, with tests that prove it works.',
    skills: ['implementation', 'testing', 'debugging'],
    outcome: 'Working, tested code that does what the task asks.',
  },
  {
    name: 'reviewer',
    description: 'Reviews changes for correctness, clarity and risk, and reports concrete findings.',
    skills: ['code-review', 'testing', 'security'],
    outcome: 'A review that names every real problem and how to fix it.',
  },
  {
    name: 'documenter',
    description: 'Writes and updates documentation that matches what the software actually does.',
    skills: ['technical-writing', 'examples'],
    outcome: 'Accurate, concise documentation a newcomer can follow.',
  },
  {
    name: 'architect',
    description: 'Designs the structure of a change: modules, interfaces, data flow, and the plan to get there.',
    skills: ['system-design', 'decomposition', 'tradeoff-analysis'],
    outcome: 'A design and task breakdown that others can implement without guessing.',
  },
];

export const STARTER_TRADEOFFS: TradeoffInput[] = [
  {
    name: 'careful',
    description: 'Correctness over speed: verify before claiming success.',
    acceptable: ['slower delivery', 'more tests than strictly needed'],
    unacceptable: ['untested changes', 'silently skipped requirements'],
  },
  {
    name: 'fast',
    description: 'Deliver the smallest change that works, quickly.',
    acceptable: ['minimal documentation', 'narrow scope'],
    unacceptable: ['broken builds', 'failing tests'],
  },
  {
    name: 'thorough',
    description: 'Complete coverage: handle the edge cases and leave the area better than found.',
    acceptable: ['larger changes', 'more time'],
    unacceptable: ['known gaps left undocumented', 'partial implementations'],
  },
];
