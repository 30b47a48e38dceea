/**
 * zod issue → one readable phrase. We use `zod/mini` (the tree-shakable build of zod 4):
 * bundled it costs ~15 ms of start-up where classic zod costs ~40 ms, and agents start `wg`
 * hundreds of times per task. zod/mini ships no message locale, so messages are built here.
 */
import type { z } from 'zod/mini';

type Issue = z.core.$ZodIssue;

export function describeIssue(issue: Issue, value?: unknown): string {
  const path = issue.path.map(String).join('.');
  const where = path ? `field "${path}"` : 'value';
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `missing field "${path}"`;
      return `${where}: expected ${issue.expected}, got ${describe(value)}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`;
    case 'too_small':
      return `${where}: must be ≥ ${String(issue.minimum)}`;
    case 'too_big':
      return `${where}: must be ≤ ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return `unknown key '${path ? `${path}.` : ''}${issue.keys[0]}'`;
    case 'invalid_union':
      return `${where}: ${describe(value)} is not an accepted form`;
    case 'invalid_format':
      return `${where}: expected ${issue.format}`;
    case 'custom':
      return `${where}: ${issue.message}`;
    default:
      return `${where}: invalid (${issue.code})`;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The value at an issue's path, to quote it back to the user. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}
