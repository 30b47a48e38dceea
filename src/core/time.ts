/** Time is injected everywhere in the core: a Clock, never Date.now() inside a rule. */
import { usageError } from './errors.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 UTC with milliseconds, e.g. 2026-11-21T17:17:51.123Z (chrono on the Rust side reads it). */
export const formatTimestamp = (d: Date): string => d.toISOString();

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i;

/** Parses an RFC 3339 timestamp; returns undefined when it is not one (an offset is required). */
export function parseTimestamp(s: string): Date | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2, 24:00 → next day): refuse them.
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || se > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const DURATION = /^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The longest duration wg accepts: 100 years. Beyond it a deadline (`now + duration`) leaves the
 * range of a Date (`99999999999999d` made `--not-before` an internal error) and numbers lose
 * their integer precision.
 */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/** Parses `30s`, `5m`, `1h30m`, `2d`, `500ms`; undefined when malformed or longer than 100 years. A bare number is seconds. */
export function parseDurationMs(s: string): number | undefined {
  const t = s.trim();
  let total = 0;
  if (/^\d+$/.test(t)) total = Number(t) * 1000;
  else {
    if (!DURATION.test(t)) return undefined;
    for (const m of t.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total <= MAX_DURATION_MS ? total : undefined;
}

export function requireDuration(flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw usageError(`invalid duration for ${flag}: '${value}'`, 'use a number with a unit: 500ms, 30s, 5m, 1h, 2d (or combined: 1h30m), at most 100 years');
  return ms;
}

/**
 * `--not-before` accepts an RFC 3339 timestamp (offset required, so nothing is silently read as
 * local time) or a relative duration from now (`+30m` or `30m`).
 */
export function requireInstant(flag: string, value: string, now: Date): Date {
  const rel = value.startsWith('+') ? value.slice(1) : value;
  const ms = parseDurationMs(rel);
  if (ms !== undefined && !/^\d+$/.test(rel)) return new Date(now.getTime() + ms);
  const d = parseTimestamp(value);
  if (!d) throw usageError(`invalid timestamp for ${flag}: '${value}'`, 'use RFC 3339 with an offset (2026-03-20T09:00:00Z) or a delay like +30m');
  return d;
}

/** Human "3m ago"-style age. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}
