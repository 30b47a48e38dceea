import { oneLine } from './escape.js';

/** Aligned text columns for human output (each cell one line: control characters escaped). */
export function table(rows: string[][], opts: { header?: string[] } = {}): string[] {
  const all = (opts.header ? [opts.header, ...rows] : rows).map((r) => r.map(oneLine));
  if (!all.length) return [];
  const widths: number[] = [];
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ').trimEnd());
}

export const STATUS_MARK: Record<string, string> = {
  open: '[ ]',
  'in-progress': '[~]',
  done: '[x]',
  blocked: '[!]',
  failed: '[F]',
  abandoned: '[A]',
  waiting: '[W]',
  'pending-validation': '[W]',
  'pending-eval': '[E]',
  'failed-pending-eval': '[e]',
  incomplete: '[I]',
};
