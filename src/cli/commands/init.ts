import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_TOML } from '../../config.js';
import { WgError } from '../../core/errors.js';
import { writeFileDurable } from '../../store/atomic-write.js';
import { explicitWgDir, pathsFor } from '../../store/paths.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('create a .wg/ workgraph here (or at --dir)')
    .action((_opts, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const given = ctx.dirFlag ?? ctx.env.WG_DIR;
      const dir = given ? explicitWgDir(given) : join(process.cwd(), '.wg');
      const paths = pathsFor(dir);
      if (existsSync(paths.graph)) {
        throw new WgError('already_exists', `a workgraph already exists at ${paths.dir}`, { hint: "use it as is; 'wg status' shows what is in it" });
      }
      for (const d of [paths.dir, paths.serviceDir, paths.agentsDir, paths.logDir, paths.agencyDir]) mkdirSync(d, { recursive: true });
      if (!existsSync(paths.config)) writeFileSync(paths.config, DEFAULT_CONFIG_TOML);
      const gitignore = join(paths.dir, '.gitignore');
      if (!existsSync(gitignore)) writeFileSync(gitignore, '# runtime state: not shared through git\nservice/\nagents/\ncache/\ngraph.lock\n*.lock\n');
      writeFileDurable(paths.graph, '');
      ctx.out({ dir: paths.dir }, () => [`Initialized workgraph in ${paths.dir}`, "Next: wg add \"First task\"  ·  wg --help"]);
    });
}
