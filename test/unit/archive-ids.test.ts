/** The archive's id lookup: binary search in sorted lines (store/archive-ids.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedLinesHas } from '../../src/store/archive-ids.js';

describe('sortedLinesHas', () => {
  it('finds exactly the ids present (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9.-]{1,12}$/), { maxLength: 60 }), fc.array(fc.stringMatching(/^[a-z0-9.-]{1,12}$/), { maxLength: 20 }), (ids, probes) => {
        const body = ids.length ? `${[...ids].sort().join('\n')}\n` : '';
        for (const id of [...ids, ...probes]) expect(sortedLinesHas(body, id)).toBe(ids.includes(id));
      }),
    );
  });
  it('does not match prefixes or an empty body', () => {
    expect(sortedLinesHas('ab\nabc\nb\n', 'a')).toBe(false);
    expect(sortedLinesHas('ab\nabc\nb\n', 'abc')).toBe(true);
    expect(sortedLinesHas('', 'a')).toBe(false);
  });
});
