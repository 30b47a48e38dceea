import type { Command } from 'commander';
import { AGENT_GUIDE } from '../../docs/agent-guide.js';
import { CliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('agent-guide')
    .description('the guidance given to every agent (how to log, record artifacts, finish, fail, and what exit 3 means)')
    .action((_flags: unknown, cmd: Command) => {
      CliContext.from(cmd).out({ guide: AGENT_GUIDE }, () => AGENT_GUIDE);
    });
}
