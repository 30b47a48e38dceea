/**
 * The hang rule (core/idle.ts) on an injected clock: samples in, verdicts out. An agent is hung
 * only when output, wg calls and CPU all stood still for idle_timeout; any one of them moving
 * restarts the count; 0 turns the rule off; unreadable CPU never proves a hang.
 */
import { describe, expect, it } from 'vitest';
import { formatSpan, hungReason, judgeIdle, observeActivity, seedActivity, type ActivitySample, type IdleState } from '../../src/core/idle.js';
import { sampleIntervalMs } from '../../src/service/assess.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-30T08:00:00Z');
const quiet: ActivitySample = { output: '120:1000', wgCall: '', cpuTicks: 7 };

/** Feeds samples at the given minutes after T0 (first sample: agent started at T0). */
function run(samples: Array<[number, Partial<ActivitySample>]>): IdleState {
  let st: IdleState | undefined;
  for (const [min, s] of samples) st = observeActivity(st, { ...quiet, ...s }, T0 + min * MIN);
  return st!;
}

describe('hang rule', () => {
  it('nothing moves for idle_timeout → hung, with the reason naming all three signs', () => {
    const st = run([[0, {}], [4, {}], [9, {}], [10, {}]]);
    expect(judgeIdle(st, T0 + 10 * MIN, 10 * MIN)).toEqual({ hung: true, idleMs: 10 * MIN, reason: 'hung: no output, no wg call, no CPU for 10m' });
  });

  it('just under idle_timeout → not hung, and it says when to look again', () => {
    const st = run([[0, {}], [9, {}]]);
    expect(judgeIdle(st, T0 + 10 * MIN - 1, 10 * MIN)).toEqual({ hung: false, idleMs: 10 * MIN - 1, checkAtMs: T0 + 10 * MIN });
  });

  it('each sign of life alone restarts the count: new output, a wg call, CPU time', () => {
    for (const moved of [{ output: '180:2000' }, { wgCall: '5:5' }, { cpuTicks: 8 }]) {
      const st = run([[0, {}], [6, moved], [12, moved]]);
      // Activity at minute 6 (the sample where it changed); nothing since.
      expect(st.lastActivityMs).toBe(T0 + 6 * MIN);
      expect(judgeIdle(st, T0 + 12 * MIN, 10 * MIN)).toMatchObject({ hung: false, idleMs: 6 * MIN, checkAtMs: T0 + 16 * MIN });
      expect(judgeIdle(st, T0 + 16 * MIN, 10 * MIN).hung).toBe(true);
    }
  });

  it('a CPU-busy agent with no output and no wg call is never hung', () => {
    const samples: Array<[number, Partial<ActivitySample>]> = [];
    for (let m = 0; m <= 60; m += 5) samples.push([m, { cpuTicks: 100 + m * 600 }]);
    const st = run(samples);
    expect(judgeIdle(st, T0 + 60 * MIN, 10 * MIN)).toMatchObject({ hung: false, idleMs: 0 });
  });

  it('CPU going down (a process of the group exited) counts as activity', () => {
    const st = run([[0, { cpuTicks: 50 }], [5, { cpuTicks: 20 }]]);
    expect(st.lastActivityMs).toBe(T0 + 5 * MIN);
  });

  it('idle_timeout 0 turns the rule off', () => {
    const st = run([[0, {}], [600, {}]]);
    expect(judgeIdle(st, T0 + 600 * MIN, 0)).toEqual({ hung: false, idleMs: 600 * MIN });
  });

  it('unreadable CPU (no /proc) never proves a hang', () => {
    const st = run([[0, { cpuTicks: undefined }], [30, { cpuTicks: undefined }]]);
    expect(judgeIdle(st, T0 + 30 * MIN, 10 * MIN).hung).toBe(false);
  });

  it('the first look counts as activity (what happened since the spawn is unknown)', () => {
    const st = observeActivity(undefined, quiet, T0 + 3 * MIN);
    expect(st.lastActivityMs).toBe(T0 + 3 * MIN);
    expect(judgeIdle(st, T0 + 12 * MIN, 10 * MIN).hung).toBe(false);
    expect(judgeIdle(st, T0 + 13 * MIN, 10 * MIN).hung).toBe(true);
  });

  it('a seeded new agent (not sampled yet) is never hung, and its first sample counts as activity', () => {
    const seeded = seedActivity(T0);
    expect(judgeIdle(seeded, T0 + 60 * MIN, 10 * MIN)).toEqual({ hung: false, idleMs: 60 * MIN });
    const st = observeActivity(seeded, quiet, T0 + 2 * MIN);
    expect(st.lastActivityMs).toBe(T0 + 2 * MIN);
    expect(judgeIdle(st, T0 + 12 * MIN - 1, 10 * MIN).hung).toBe(false);
    expect(judgeIdle(st, T0 + 12 * MIN, 10 * MIN).hung).toBe(true);
  });

  it('samples at most every 1/20 of idle_timeout (at least 1 s, at most a quarter)', () => {
    expect([10 * MIN, 2000, 40_000, 0].map(sampleIntervalMs)).toEqual([30_000, 500, 2000, 0]);
  });

  it('formats the timeout as config writes it', () => {
    expect([600_000, 5400_000, 45_000, 1500, 800, 90_000].map(formatSpan)).toEqual(['10m', '1h30m', '45s', '1.5s', '800ms', '1m30s']);
    expect(hungReason(2000)).toBe('hung: no output, no wg call, no CPU for 2s');
  });
});
