/**
 * LineSpans (src/store/line-spans.ts): the line spans the service's in-memory graph edits in
 * place. After any sequence of replaced and appended lines, every offset and length equals a
 * fresh computation from the line lengths, and a replacement never passes over every line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSpans } from '../../src/store/line-spans.js';

/** The spans of lines of these lengths, each ended by a newline (as graph.jsonl). */
function naive(lens: readonly number[]): Uint32Array {
  const out = new Uint32Array(2 * lens.length);
  let at = 0;
  lens.forEach((len, i) => {
    out[2 * i] = at;
    out[2 * i + 1] = len;
    at += len + 1;
  });
  return out;
}

type Step = { kind: 'replace'; at: number; len: number } | { kind: 'append'; len: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), len: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), len: fc.nat(3000) }) },
);

describe('LineSpans', () => {
  it('equals the spans computed afresh after any replacements and appends', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(3000), { minLength: 1, maxLength: 300 }), fc.array(step, { maxLength: 400 }), (initial, steps) => {
        const lens = [...initial];
        const spans = new LineSpans(naive(lens));
        for (const s of steps) {
          if (s.kind === 'replace') {
            const i = s.at % lens.length;
            lens[i] = s.len;
            spans.replace(i, s.len);
          } else {
            const want = naive([...lens, s.len]);
            spans.append(want[2 * lens.length]!, s.len);
            lens.push(s.len);
          }
          const i = s.kind === 'replace' ? s.at % lens.length : lens.length - 1;
          const want = naive(lens);
          expect([spans.offset(i), spans.len(i)]).toEqual([want[2 * i], want[2 * i + 1]]);
          expect(spans.offset(lens.length - 1)).toBe(want[2 * lens.length - 2]);
        }
        expect(spans.length).toBe(lens.length);
        const want = naive(lens);
        expect(lens.map((_, i) => [spans.offset(i), spans.len(i)])).toEqual(lens.map((_, i) => [want[2 * i], want[2 * i + 1]]));
        expect(spans.flat()).toEqual(want);
        // And after the compaction flat() did, further edits still hold.
        spans.replace(0, lens[0]! + 7);
        lens[0]! += 7;
        expect(spans.flat()).toEqual(naive(lens));
      }),
      { numRuns: 200 },
    );
  });

  it('a replacement or an append within capacity never passes over every line', () => {
    const lens = Array.from({ length: 100_000 }, (_, i) => 400 + (i % 97));
    const spans = new LineSpans(naive(lens));
    for (let k = 0; k < 500; k++) {
      const i = (k * 7919) % lens.length;
      lens[i]! += 13;
      spans.replace(i, lens[i]!);
    }
    const last = naive(lens);
    spans.append(last[2 * lens.length - 2]! + last[2 * lens.length - 1]! + 1, 50);
    lens.push(50);
    expect(spans.rebuilds).toBe(0);
    const want = naive(lens);
    for (const i of [0, 1, 7919, 50_000, 99_999, 100_000]) expect([spans.offset(i), spans.len(i)]).toEqual([want[2 * i], want[2 * i + 1]]);
  });

  it('grows when appends run out of room, and stays exact', () => {
    const lens = [5, 6, 7];
    const spans = new LineSpans(naive(lens));
    spans.replace(1, 60);
    lens[1] = 60;
    for (let k = 0; k < 3000; k++) {
      const want = naive([...lens, k % 50]);
      spans.append(want[2 * lens.length]!, k % 50);
      lens.push(k % 50);
      if (k % 700 === 0) {
        spans.replace(k, 3);
        lens[k] = 3;
      }
    }
    expect(spans.rebuilds).toBeGreaterThan(0);
    expect(spans.flat()).toEqual(naive(lens));
  });
});
