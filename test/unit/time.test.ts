import { describe, expect, it } from 'vitest';
import { formatAge, formatTimestamp, parseDurationMs, parseTimestamp, requireDuration, requireInstant } from '../../src/core/time.js';
import { HOUR, MIN, NOW, wgError } from './fixtures.js';

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 5 * MIN],
    ['1h', HOUR],
    ['2d', 2 * 24 * HOUR],
    ['1h30m', 90 * MIN],
    ['1d2h3m4s5ms', 24 * HOUR + 2 * HOUR + 3 * MIN + 4000 + 5],
    ['1.5h', 90 * MIN],
    ['0s', 0],
    ['45', 45_000],
    ['0', 0],
    ['  10m  ', 10 * MIN],
  ])('%s → %d ms', (s, ms) => {
    expect(parseDurationMs(s)).toBe(ms);
  });

  it('accepts up to 100 years, no more (a deadline must stay a valid Date)', () => {
    expect(parseDurationMs('36500d')).toBe(36500 * 24 * HOUR);
    expect(parseDurationMs('36501d')).toBeUndefined();
    expect(parseDurationMs('99999999999999d')).toBeUndefined();
    expect(parseDurationMs('99999999999999999999')).toBeUndefined();
  });

  it.each(['', ' ', 'abc', '5x', 'm5', '-5m', '5 m', '1h 30m', '1.h', '.5h', '5mm', 'h', '+5m', '1e3s'])('rejects %j', (s) => {
    expect(parseDurationMs(s)).toBeUndefined();
  });

  it('requireDuration throws a usage error naming the flag', () => {
    expect(requireDuration('--timeout', '10m')).toBe(10 * MIN);
    const err = wgError(() => requireDuration('--timeout', 'soon'), 'invalid_argument', 2);
    expect(err.message).toContain('--timeout');
    expect(err.message).toContain("'soon'");
    expect(err.hint).toBeTruthy();
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2026-03-20T09:00:00Z', Date.UTC(2026, 2, 20, 9)],
    ['2026-03-20T09:00:00.123Z', Date.UTC(2026, 2, 20, 9, 0, 0, 123)],
    ['2026-03-20T09:00:00+00:00', Date.UTC(2026, 2, 20, 9)],
    ['2026-03-20T11:00:00+02:00', Date.UTC(2026, 2, 20, 9)],
    ['2026-03-20T04:30:00-04:30', Date.UTC(2026, 2, 20, 9)],
    ['2026-03-20 09:00:00Z', Date.UTC(2026, 2, 20, 9)],
    ['2026-03-20t09:00:00z', Date.UTC(2026, 2, 20, 9)],
    // the Rust tool writes nanoseconds: sub-ms digits are truncated
    ['2026-05-14T21:16:28.123456789+00:00', Date.UTC(2026, 4, 14, 21, 16, 28, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
  ])('%s', (s, ms) => {
    expect(parseTimestamp(s)?.getTime()).toBe(ms);
  });

  it.each([
    '2026-03-20T09:00:00', // no offset: never silently local time
    '2026-03-20',
    '09:00:00Z',
    'yesterday',
    '',
    '2026-3-20T09:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-32T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:61Z',
    '2026-01-01T00:00:00+25:00',
    '2026-01-01T00:00:00+01:60',
    ' 2026-03-20T09:00:00Z',
    '2026-03-20T09:00:00Z junk',
  ])('rejects %j', (s) => {
    expect(parseTimestamp(s)).toBeUndefined();
  });

  it('formatTimestamp round-trips through parseTimestamp', () => {
    const s = formatTimestamp(NOW);
    expect(s).toBe('2026-03-20T12:00:00.000Z');
    expect(parseTimestamp(s)?.getTime()).toBe(NOW.getTime());
  });
});

describe('requireInstant', () => {
  it('accepts a relative delay with or without +', () => {
    expect(requireInstant('--not-before', '+30m', NOW).getTime()).toBe(NOW.getTime() + 30 * MIN);
    expect(requireInstant('--not-before', '30m', NOW).getTime()).toBe(NOW.getTime() + 30 * MIN);
    expect(requireInstant('--not-before', '+1h30m', NOW).getTime()).toBe(NOW.getTime() + 90 * MIN);
  });
  it('accepts an RFC 3339 timestamp with offset', () => {
    expect(requireInstant('--not-before', '2026-03-20T09:00:00Z', NOW).getTime()).toBe(Date.UTC(2026, 2, 20, 9));
  });
  it.each(['30', '+30', '2026-03-20T09:00:00', 'tomorrow', '', '2026-02-30T09:00:00Z'])('rejects %j with a usage error', (v) => {
    const err = wgError(() => requireInstant('--not-before', v, NOW), 'invalid_argument', 2);
    expect(err.message).toContain('--not-before');
  });
});

describe('formatAge', () => {
  it.each([
    [-5, '0s'],
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [59 * MIN, '59m'],
    [HOUR, '1h'],
    [HOUR + 5 * MIN, '1h5m'],
    [47 * HOUR, '47h'],
    [48 * HOUR, '2d'],
  ])('%d ms → %s', (ms, s) => {
    expect(formatAge(ms)).toBe(s);
  });
});
