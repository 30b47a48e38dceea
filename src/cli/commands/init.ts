import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_TOML } from '../../config.js';
import { WgError } from '../../core/errors.js';
import { writeFileDurable } from '../../store/atomic-write.js';
import { explicitWgDir, pathsFor, WG_DIR_NAMES } from '../../store/paths.js';
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
      // As the Rust tool: never create a second graph beside the other name (a project made by
      // the Rust tool keeps its graph in the legacy .workgraph/, which wg uses in place).
      const other = WG_DIR_NAMES.find((n) => n !== basename(paths.dir));
      const sibling = other && (WG_DIR_NAMES as readonly string[]).includes(basename(paths.dir)) ? join(dirname(paths.dir), other) : undefined;
      if (sibling && existsSync(sibling)) {
        throw new WgError('already_exists', `a workgraph already exists at ${sibling} — wg uses it as is; nothing was created`, {
          hint: `run wg commands here ('wg which' shows the directory in use); to start a new graph instead, move ${other}/ away first`,
        });
      }
      for (const d of [paths.dir, paths.serviceDir, paths.agentsDir, paths.logDir, paths.agencyDir]) mkdirSync(d, { recursive: true });
      if (!existsSync(paths.config)) writeFileSync(paths.config, DEFAULT_CONFIG_TOML);
      const gitignore = join(paths.dir, '.gitignore');
      if (!existsSync(gitignore)) writeFileSync(gitignore, '# runtime state: not shared through git\nservice/\nagents/\ncache/\ngraph.lock\n*.lock\n');
      writeFileDurable(paths.graph, '');
      ctx.out({ dir: paths.dir }, () => [`Initialized workgraph in ${paths.dir}`, "Next: wg add \"First task\"  ·  wg --help"]);
    });
}
