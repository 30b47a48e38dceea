/**
 * The `wg` entry point: wiring only. Parses, dispatches to one command file, and turns errors
 * into one line on stderr (or a JSON error object) and an exit code. `process.exit` lives here.
 */
import { Command, CommanderError } from 'commander';
import { environmentError, ExitCode, WgError } from '../core/errors.js';
import { oneLine } from '../render/escape.js';
import { commandLoaders } from './commands/index.js';
import { markWgCall } from '../agents/activity.js';

declare const WG_VERSION: string;

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

/** The command word: the first argument that is not a global option (or its value). */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dir') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

function report(err: WgError | { code: string; message: string; hint?: string | undefined }, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }) + '\n');
    return;
  }
  // One line each: an id or a path in the message may come from a hand-edited file.
  process.stderr.write(`error: ${oneLine(err.message)}\n`);
  if (err.hint) process.stderr.write(`hint: ${oneLine(err.hint)}\n`);
}

export async function main(argv: string[]): Promise<number> {
  // Fast path: `wg --version` is what scripts probe; it loads no command at all.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${typeof WG_VERSION === 'string' ? WG_VERSION : '0.0.0-dev'}\n`);
    return ExitCode.ok;
  }
  // Inside an agent: every wg call is a sign of life for the hang check (core/idle.ts).
  markWgCall(process.env);
  const program = new Command('wg');
  program
    .description('workgraph — a work graph for humans and AI coding agents')
    .version(typeof WG_VERSION === 'string' ? WG_VERSION : '0.0.0-dev', '-V, --version')
    .option('--json', 'machine-readable output on stdout')
    .option('--dir <path>', 'the .wg directory (or a project directory containing one)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Commander's own usage errors are re-rendered below as one line + exit 2.
      writeErr: () => undefined,
    });
  const word = commandWord(argv);
  // Own keys only: `wg constructor` or `wg __proto__` is an unknown command like any other.
  const only = word !== undefined && Object.hasOwn(commandLoaders, word) ? commandLoaders[word] : undefined;
  // Known command: load just it. Help, no command or a typo: load all (for the listing and
  // "did you mean").
  const loaders = only ? [only] : Object.values(commandLoaders);
  for (const mod of await Promise.all(loaders.map((load) => load()))) mod.register(program);
  // No command and nothing but global options: show the help. Anything else (an unknown
  // option like `wg --bogus`) goes to the parser, which rejects it as a usage error (exit 2).
  const onlyGlobals = argv.every((a, i) => a === '--json' || a === '--dir' || a.startsWith('--dir=') || argv[i - 1] === '--dir');
  if (word === undefined && onlyGlobals) {
    program.outputHelp();
    return ExitCode.ok;
  }
  program.commands.forEach((c) => {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined });
    c.commands.forEach((s) => {
      s.exitOverride();
      s.configureOutput({ writeErr: () => undefined });
    });
  });

  const json = wantsJson(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
      const message = e.message.replace(/^error: /, '').split('\n')[0]!;
      report({ code: 'invalid_argument', message, hint: "see 'wg --help' or 'wg <command> --help'" }, json);
      return ExitCode.usage;
    }
    if (e instanceof WgError) {
      report(e, json);
      return e.exitCode;
    }
    // Disk full, permissions, a read-only file system, the open-file limit: the environment's
    // errors, not wg's bugs. Writes go to a temp file renamed at the end, so nothing was written.
    const env = environmentError(e);
    if (env) {
      report(env, json);
      return env.exitCode;
    }
    const err = e as Error;
    report({ code: 'internal', message: `internal error: ${err.message}`, hint: 'this is a bug in wg; run with WG_DEBUG=1 for a stack trace' }, json);
    if (process.env.WG_DEBUG) process.stderr.write(`${err.stack}\n`);
    return ExitCode.refused;
  }
}

// `wg list | head`: the reader closed the pipe. Stop quietly, with the command's own exit code,
// instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode));
    throw e;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
