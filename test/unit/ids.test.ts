import { describe, expect, it } from 'vitest';
import { editDistance, isValidTaskId, MAX_ID_LENGTH, nearestId, requireValidTaskId, slugFromTitle, uniqueId } from '../../src/core/ids.js';
import { wgError } from './fixtures.js';

describe('slugFromTitle', () => {
  it.each([
    ['Fix (bug) #123!', 'fix-bug-123'],
    ['Build the amazing super widget', 'build-the-amazing'],
    ['Smoke test task 1', 'smoke-test-task-1'],
    ['Build the amazing widget 42', 'build-the-amazing'],
    ['123 fix the bug', '123-fix-the-bug'],
    ['Build widget', 'build-widget'],
    ['hello', 'hello'],
    ['  Leading and trailing  ', 'leading-and-trailing'],
    ['UPPER case WORDS here', 'upper-case-words'],
    ['v2 release 3 notes 4 more', 'v2-release-3-notes-4'],
    ['Café résumé naïve', 'cafe-resume-naive'],
    ['snake_case and.dots', 'snake-case-and'],
    ['a--b__c', 'a-b-c'],
    ['1 2 3 4 5', '1-2-3-4-5'],
  ])('%j → %s', (title, slug) => {
    expect(slugFromTitle(title)).toBe(slug);
  });

  it.each(['', '   ', '!!!', '#$%^&*()', '日本語', '🚀🚀', '---'])('%j → task', (title) => {
    expect(slugFromTitle(title)).toBe('task');
  });

  it('caps very long slugs and never ends in a dash', () => {
    const slug = slugFromTitle(`${'9'.repeat(60)} ${'8'.repeat(60)} word`);
    expect(slug.length).toBeLessThanOrEqual(100);
    expect(slug.endsWith('-')).toBe(false);
    expect(isValidTaskId(slug)).toBe(true);
  });
});

describe('isValidTaskId', () => {
  it.each([
    'a',
    '0',
    'fix-bug-123',
    'a.b',
    'a_b',
    'a-b-c',
    '.evaluate-x',
    '.flip-fix-bug',
    '123',
    'x'.repeat(MAX_ID_LENGTH),
    `.${'x'.repeat(MAX_ID_LENGTH - 1)}`,
  ])('accepts %j', (id) => {
    expect(isValidTaskId(id)).toBe(true);
  });

  it.each([
    '',
    '.',
    '..',
    '../x',
    'a/../b',
    'a/b',
    'a\\b',
    '/abs',
    'Upper',
    'ABC',
    'a b',
    '-a',
    '_a',
    '..x',
    'a..b',
    '.-x',
    'a\u0000b',
    'a\nb',
    'é',
    'x'.repeat(MAX_ID_LENGTH + 1),
    `.${'x'.repeat(MAX_ID_LENGTH)}`,
  ])('rejects %j', (id) => {
    expect(isValidTaskId(id)).toBe(false);
  });

  it('requireValidTaskId returns the id or throws a usage error (exit 2)', () => {
    expect(requireValidTaskId('ok-id')).toBe('ok-id');
    const err = wgError(() => requireValidTaskId('../etc/passwd'), 'invalid_argument', 2);
    expect(err.message).toBe("invalid task id '../etc/passwd'");
    const err2 = wgError(() => requireValidTaskId('Bad', 'dependency id'), 'invalid_argument', 2);
    expect(err2.message).toContain('dependency id');
  });
});

describe('uniqueId', () => {
  it('returns the base when free, then -2, -3 …', () => {
    const taken = new Set<string>();
    expect(uniqueId('x', (i) => taken.has(i))).toBe('x');
    taken.add('x');
    expect(uniqueId('x', (i) => taken.has(i))).toBe('x-2');
    taken.add('x-2');
    expect(uniqueId('x', (i) => taken.has(i))).toBe('x-3');
    taken.delete('x-2');
    expect(uniqueId('x', (i) => taken.has(i))).toBe('x-2');
  });
});

describe('editDistance / nearestId', () => {
  it('editDistance', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
  });
  it('prefers a prefix match, then the closest edit', () => {
    const ids = ['build-widget', 'build-widget-2', 'fix-bug', 'deploy'];
    expect(nearestId('build', ids)).toBe('build-widget');
    expect(nearestId('fix-bgu', ids)).toBe('fix-bug');
    expect(nearestId('deplyo', ids)).toBe('deploy');
    expect(nearestId('completely-different', ids)).toBeUndefined();
    expect(nearestId('x', [])).toBeUndefined();
  });
});
