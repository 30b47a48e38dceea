/**
 * The agents' `wg` (issue 14, point 8): a two-line shell script first on every agent's PATH that
 * runs this very install — node's path and wg's entry script. Both are quoted for the shell
 * with single quotes (a `'` inside becomes `'\''`), the one POSIX quoting in which no character
 * is special: an install path holding `"`, `$`, a backtick, a backslash or a space is passed as
 * it is, never interpreted.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `s` as one word for /bin/sh, whatever it contains. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shim's text: exec node on wg's entry script with the agent's arguments. */
export function shimScript(nodePath: string, wgEntry: string): string {
  return `#!/bin/sh\nexec ${shellQuote(nodePath)} ${shellQuote(wgEntry)} "$@"\n`;
}

/** Writes `<dir>/wg` (mode 0755), replaced whole (an agent starting meanwhile sees the old or the new). */
export function writeShim(dir: string, nodePath: string, wgEntry: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'wg');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, shimScript(nodePath, wgEntry), { mode: 0o755 });
  renameSync(tmp, path);
  return path;
}
