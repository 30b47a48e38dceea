import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('a 20-second tour: builds a small graph in a temp dir and works through it')
    .action(() => {
      // dist/wg.mjs (or dist/chunks/*.mjs) → package root → scripts/demo.sh
      let root = dirname(fileURLToPath(import.meta.url));
      while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
      const script = join(root, 'scripts', 'demo.sh');
      if (!existsSync(script)) throw new WgError('not_found', `demo script missing: ${script}`, { hint: 'reinstall workgraph' });
      const wgBin = join(root, 'dist', 'wg.mjs');
      const r = spawnSync('bash', [script], { stdio: 'inherit', env: { ...process.env, WG: `${process.execPath} ${wgBin}` } });
      process.exitCode = r.status ?? 1;
    });
}
