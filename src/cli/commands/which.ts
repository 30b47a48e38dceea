import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { emptyShadowWarning, findWgDir, resolveWgDir, type WgDirResolution } from '../../store/paths.js';
import { CliContext } from '../context.js';

function reason(r: WgDirResolution): string {
  if (r.source === 'flag') return `--dir ${r.given}`;
  if (r.source === 'env') return `$WG_DIR=${r.given}`;
  return dirname(r.dir) === r.from ? `found in ${r.from}` : `found walking up from ${r.from}`;
}

function notes(r: WgDirResolution): string[] {
  const out: string[] = [];
  if (r.legacy) out.push("legacy: .workgraph/ is the folder of projects made by the Rust tool; wg reads and writes it in place");
  const trap = emptyShadowWarning(r);
  if (trap) out.push(`warning: ${trap}`);
  else if (r.shadowed && basename(r.dir) === '.wg') out.push(`note: ${r.shadowed} exists too and is not used (.wg/ comes first, as in the Rust tool)`);
  else if (r.shadowed) out.push(`note: ${r.shadowed} exists but has no graph.jsonl, so ${basename(r.dir)}/ is used`);
  if (!r.initialized) out.push(`note: ${r.dir} has no graph.jsonl yet — run 'wg init'${r.source === 'walk-up' ? '' : ` --dir ${r.given}`}`);
  return out;
}

export function register(program: Command): void {
  program
    .command('which')
    .description('print the workgraph directory in use here and why (--dir, $WG_DIR, or found walking up)')
    .action((_opts, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const r = resolveWgDir({ dir: ctx.dirFlag, env: ctx.env });
      if (!r) {
        findWgDir({ dir: ctx.dirFlag, env: ctx.env }); // throws the standard "no .wg directory found" error
        return;
      }
      const json = {
        dir: r.dir,
        source: r.source,
        ...(r.given !== undefined ? { given: r.given } : {}),
        ...(r.from !== undefined ? { searched_from: r.from } : {}),
        legacy: r.legacy,
        initialized: r.initialized,
        shadowed: r.shadowed ?? null,
        warning: emptyShadowWarning(r) ?? null,
      };
      ctx.out(json, () => [r.dir, `  reason: ${reason(r)}`, ...notes(r).map((n) => `  ${n}`)]);
    });
}
