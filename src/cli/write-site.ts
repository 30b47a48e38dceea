/**
 * Writes a generated static site (`wg html`) so that DIR is never half-written: everything goes
 * into a fresh temp directory next to DIR, which is then renamed into place. An existing DIR is
 * replaced only when it is empty or was written by `wg html` (it holds the `.wg-site` marker),
 * so `--out` pointed at a source tree or a home directory is refused instead of deleted.
 *
 * Replacing an old site takes two renames (old → aside, new → DIR): between them DIR is briefly
 * absent, never partial. If the second rename fails the old site is put back.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { usageError, WgError } from '../core/errors.js';

export const SITE_MARKER = '.wg-site';
const MARKER_TEXT = 'This directory was written by `wg html`. The next `wg html --out` to it replaces it entirely.\n';

/** Refuses an unusable --out before anything is rendered or written. */
export function checkSiteTarget(out: string): { target: string; exists: boolean } {
  if (!out.trim()) throw usageError('--out needs a directory', 'e.g. wg html --out site');
  const target = resolve(out);
  let st: Stats | undefined;
  try {
    st = lstatSync(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new WgError('invalid_argument', `--out ${out}: a parent of it is a file`, { hint: 'choose a directory path' });
    if (code !== 'ENOENT') throw new WgError('io', `--out ${out}: ${(e as Error).message}`);
  }
  if (!st) return { target, exists: false };
  if (st.isSymbolicLink()) throw new WgError('invalid_argument', `--out ${out} is a symbolic link`, { hint: 'give the real directory (wg html replaces the directory itself)' });
  if (!st.isDirectory()) throw new WgError('invalid_argument', `--out ${out} is a file, not a directory`, { hint: 'choose a new or empty directory, or one wg html wrote before' });
  const entries = readdirSync(target);
  if (entries.length && !entries.includes(SITE_MARKER)) {
    throw new WgError('invalid_argument', `--out ${out} is a non-empty directory that wg html did not write`, {
      hint: 'choose a new or empty directory; wg html only replaces a directory it wrote itself',
    });
  }
  return { target, exists: true };
}

/** Writes `files` (relative path → content) as the directory `out`, all or nothing. */
export function writeSite(out: string, files: Map<string, string>): { target: string; warnings: string[] } {
  const { target, exists } = checkSiteTarget(out);
  const warnings: string[] = [];
  const parent = dirname(target);
  let tmp: string | undefined;
  try {
    mkdirSync(parent, { recursive: true });
    tmp = mkdtempSync(join(parent, `.${basename(target)}.wg-html-`));
    chmodSync(tmp, 0o755);
    for (const [rel, content] of files) {
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    writeFileSync(join(tmp, SITE_MARKER), MARKER_TEXT);
    if (exists) {
      const aside = `${tmp}.old`;
      renameSync(target, aside);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(aside, target);
        throw e;
      }
      try {
        rmSync(aside, { recursive: true, force: true });
      } catch (e) {
        warnings.push(`could not remove the previous site at ${aside}: ${(e as Error).message}`);
      }
    } else {
      renameSync(tmp, target);
    }
    tmp = undefined;
    return { target, warnings };
  } catch (e) {
    if (e instanceof WgError) throw e;
    throw new WgError('io', `could not write the site to ${out}: ${(e as Error).message}`, { hint: 'nothing was changed at --out' });
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
