// Bundles the CLI into one ESM file. One file means one module load at start-up: agents call
// `wg` hundreds of times per task, and resolving ~150 separate modules cost ~40 ms more per call.
import { build } from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'wg',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // fs-ext is a native addon (flock); it must stay a real require of the installed package.
  external: ['fs-ext'],
  minifySyntax: true,
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __wgCreateRequire } from 'node:module';",
      'const require = __wgCreateRequire(import.meta.url);',
      "import { fileURLToPath as __wgFileURLToPath } from 'node:url';",
      'const __filename = __wgFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
  define: { WG_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
chmodSync('dist/wg.mjs', 0o755);
