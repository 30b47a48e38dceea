/**
 * Which store a project uses: `$WG_STORE_URL`, else `[store] url` in `.wg/config.toml`, else the
 * JSONL store (the zero-setup default). Agents run `wg` hundreds of times per task, so a
 * config.toml without a `[store]` table is not even parsed here (a text test); with one, the
 * whole file is validated as usual.
 */
import { readFileSync } from 'node:fs';
import type { WgPaths } from './store/paths.js';

export async function storeUrl(paths: WgPaths, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.WG_STORE_URL) return env.WG_STORE_URL;
  let text: string;
  try {
    text = readFileSync(paths.config, 'utf8');
  } catch {
    return undefined;
  }
  if (!/^\s*\[\s*store\s*\]/m.test(text)) return undefined;
  const { parseConfig } = await import('./config.js');
  return parseConfig(text, paths.config).store?.url;
}
