import { usageError } from './errors.js';

/** SPEC §1 rule 7: ids created by this tool. Checked before an id is ever used in a path. */
export const TASK_ID_PATTERN = /^\.?[a-z0-9][a-z0-9._-]*$/;
export const MAX_ID_LENGTH = 128;

export function isValidTaskId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && TASK_ID_PATTERN.test(id) && !id.includes('..');
}

export function requireValidTaskId(id: string, what = 'task id'): string {
  if (!isValidTaskId(id)) {
    throw usageError(
      `invalid ${what} '${id}'`,
      `ids are lowercase letters, digits, '.', '_' and '-', start with a letter or digit (or one '.' for system tasks), at most ${MAX_ID_LENGTH} chars`,
    );
  }
  return id;
}

/**
 * Id from a title (the Rust tool's rule): lowercase, non-alphanumerics become separators, keep
 * the first three words; numbers directly after them extend the id. `Fix (bug) #123!` → `fix-bug-123`.
 */
export function slugFromTitle(title: string): string {
  const tokens = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  // Numbers do not count as words: they are kept until the first word after the third.
  const kept: string[] = [];
  let words = 0;
  for (const tok of tokens) {
    if (/^\d+$/.test(tok)) {
      kept.push(tok);
      continue;
    }
    if (words >= 3) break;
    kept.push(tok);
    words++;
  }
  const slug = kept.join('-').slice(0, 100).replace(/-+$/, '');
  return slug || 'task';
}

/** `base`, then `base-2`, `base-3`, … — the first not taken. */
export function uniqueId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken(candidate)) return candidate;
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The nearest existing id (prefix match first, then edit distance ≤ 3), if any. */
export function nearestId(wanted: string, ids: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const id of ids) {
    if (id.startsWith(wanted) || wanted.startsWith(id)) {
      const score = Math.abs(id.length - wanted.length) * 0.1;
      if (score < bestScore) [best, bestScore] = [id, score];
      continue;
    }
    if (Math.abs(id.length - wanted.length) > 3) continue;
    const d = editDistance(wanted, id);
    if (d <= 3 && d < bestScore) [best, bestScore] = [id, d];
  }
  return best;
}
