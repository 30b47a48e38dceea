import type { Command } from 'commander';
import { QUICKSTART } from '../../docs/quickstart.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('quickstart')
    .description('a one-screen quick start, with the recovery commands and when to use each')
    .action((_flags: unknown, cmd: Command) => {
      CliContext.from(cmd).out({ quickstart: QUICKSTART }, () => QUICKSTART);
    });
}
