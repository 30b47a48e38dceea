/** Flag value parsers: each bad value is a one-line usage error (exit 2) naming flag and fix. */
import { usageError } from '../core/errors.js';
import { requireValidTaskId } from '../core/ids.js';
import { requireDuration, requireInstant } from '../core/time.js';

export function parseCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`invalid value for ${flag}: '${value}'`, 'expected a non-negative integer');
  const n = Number(value.trim());
  // A larger count is not an exact integer in JSON numbers: written, it would make graph.jsonl unreadable.
  if (!Number.isSafeInteger(n)) throw usageError(`invalid value for ${flag}: '${value}' is too large`, `expected a non-negative integer up to ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

const PRIORITY_NAMES: Record<string, number> = { critical: 100, high: 50, normal: 10, low: 5, idle: 0 };

export function parsePriority(value: string): number {
  const v = value.trim().toLowerCase();
  if (Object.hasOwn(PRIORITY_NAMES, v)) return PRIORITY_NAMES[v]!;
  if (!/^\d+$/.test(v) || Number(v) > 1_000_000) throw usageError(`invalid priority '${value}'`, 'use an integer 0..1000000 (higher runs first) or critical|high|normal|low|idle');
  return Number(v);
}

/** Commander collector for repeatable flags that also accept comma lists (`--after a,b --after c`). */
export const collectList = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function parseIds(values: string[], what = 'task id'): string[] {
  return values.map((v) => requireValidTaskId(v, what));
}

export function parseDurationFlag(flag: string, value: string): string {
  requireDuration(flag, value);
  return value.trim();
}

export { requireInstant };
