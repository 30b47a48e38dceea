// Bundles the CLI into one ESM file. One file means one module load at start-up: agents call
// `wg` hundreds of times per task, and resolving ~150 separate modules cost ~40 ms more per call.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFileSync, chmodSync, copyFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// `import { z } from 'zod/mini'` (config.ts, registry.ts) binds zod's prebuilt namespace object:
// esbuild must then keep all of zod (JSON Schema, 40 locales…), and with code splitting it put
// that in the chunk every command loads, next to graph-file.ts. `import * as z` is the same
// object at run time for member reads (`z.string()`), but esbuild can tree-shake those. Measured:
// the chunk every graph-reading command loads went from 697 KB to 154 KB; importing all of zod
// this way took 38–125 ms on this (busy) 2-core machine, the used parts 7–24 ms.
const zodStar = {
  name: 'zod-star-import',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const rewritten = text.replace(/^import \{ z \} from 'zod\/mini';$/m, "import * as z from 'zod/mini';");
      return rewritten === text ? undefined : { contents: rewritten, loader: 'ts' };
    });
  },
};

// commander requires node:child_process at load time (for executable subcommands, which wg does
// not use); loading it pulls in net, stream and more. A lazy stand-in defers that to first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'wg-lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'wg-lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, k) => (real ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

const result = // A clean dist/: chunk names carry content hashes, and stale chunks would pile up.
rmSync('dist', { recursive: true, force: true });

await build({
  plugins: [zodStar, lazyChildProcess],
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
  // pg (node-postgres, the PostgreSQL store only) stays a real import of the installed package,
  // loaded only when a store URL is configured; pg-native is its optional native binding.
  // react-devtools-core: ink imports it only when DEV=true (its React DevTools bridge), which
  // `wg tui` never sets; it is not installed, and stays an import that is never reached.
  external: ['fs-ext', 'pg', 'pg-native', 'react-devtools-core'],
  // Full minification was measured too: no start-up gain beyond noise, and it makes stack
  // traces (WG_DEBUG=1) unreadable, so only syntax is minified.
  minifySyntax: true,
  banner: {
    js: [
      // A 4 MiB young generation instead of V8's 16 MiB default: the CLI allocates its parse
      // once and exits, so the bigger nursery only raised peak RSS (wg ready at 100k tasks:
      // 154 → 131 MB) without saving time. (`env -S`: coreutils ≥ 8.30, macOS.)
      '#!/usr/bin/env -S node --max-semi-space-size=4',
      "import { createRequire as __wgCreateRequire } from 'node:module';",
      'const require = __wgCreateRequire(import.meta.url);',
      "import { fileURLToPath as __wgFileURLToPath } from 'node:url';",
      'const __filename = __wgFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
  // React (under `wg tui`) picks its development build unless NODE_ENV says production: the dev
  // build's checks cost a third of each redraw. Nothing else in wg reads NODE_ENV.
  define: { WG_VERSION: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: !!process.env.WG_BUILD_META,
});
chmodSync('dist/wg.mjs', 0o755);

// The agent wrapper (src/agents/agent-wrapper.sh, POSIX sh): the service starts it as each agent's
// process-group leader; it writes the agent's exit record (docs/service.md).
copyFileSync('src/agents/agent-wrapper.sh', 'dist/agent-wrapper.sh');
if (process.env.WG_BUILD_META) {
  for (const [out, o] of Object.entries(result.metafile.outputs)) if (!out.endsWith('.map')) console.log(o.bytes, out);
}
