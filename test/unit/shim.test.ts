/**
 * The agents' `wg` shim (issue 14, point 8) with a real /bin/sh: node and wg installed under a
 * path holding `"`, `$`, a backtick command, `'` and spaces still run (a backslash too, as the quoting test shows; node's own loader refuses one in a module path), with the
 * agent's arguments passed through untouched, and nothing in the path is executed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shellQuote, shimScript, writeShim } from '../../src/agents/shim.js';

describe('the agents’ wg shim', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('runs an install whose path holds shell metacharacters, arguments untouched, nothing executed', () => {
    root = mkdtempSync(join(tmpdir(), 'wg-shim-'));
    const hostile = join(root, `in"st $HOME \`touch ${join(root, 'pwned')}\` it's $(touch ${join(root, 'pwned2')})`);
    mkdirSync(hostile, { recursive: true });
    const node = join(hostile, 'node');
    symlinkSync(process.execPath, node);
    const entry = join(hostile, 'wg entry.mjs');
    writeFileSync(entry, 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), entry: process.argv[1] }));\n');
    const shim = writeShim(join(hostile, 'bin'), node, entry);
    const args = ['a b', '$HOME', '"q"', "it's", '`id`', ''];
    const out = JSON.parse(execFileSync(shim, args, { encoding: 'utf8' })) as { argv: string[]; entry: string };
    expect(out.argv).toEqual(args);
    expect(out.entry).toBe(entry);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
    expect(existsSync(join(root, 'pwned2'))).toBe(false);
    expect(readFileSync(shim, 'utf8')).toBe(shimScript(node, entry));
  });

  it('quotes every string as one shell word', () => {
    for (const s of ['', 'plain', "a'b", "''", '$(x) `y` "z" \\', 'new\nline']) {
      expect(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' })).toBe(s);
    }
  });
});
