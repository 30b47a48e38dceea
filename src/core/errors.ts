/**
 * Typed errors. Every user-facing failure is a WgError carrying its exit code (SPEC §6):
 * 0 ok, 1 refused/failed, 2 usage (bad flag, bad value), 3 claim lost (fencing).
 * `process.exit` is called in exactly one place (cli/main.ts), which renders these.
 */
export const ExitCode = {
  ok: 0,
  refused: 1,
  usage: 2,
  claimLost: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable machine-readable error codes, used in `--json` error objects. */
export type ErrorCode =
  | 'not_found'
  | 'not_initialized'
  | 'already_exists'
  | 'invalid_transition'
  | 'not_ready'
  | 'invalid_argument'
  | 'invalid_config'
  | 'corrupt_graph'
  | 'cycle'
  | 'claim_lost'
  | 'lock_timeout'
  | 'disk_full'
  | 'permission_denied'
  | 'read_only'
  | 'too_many_open_files'
  | 'verify_failed'
  | 'unmerged'
  | 'store_unavailable'
  | 'store_schema'
  | 'io';

export class WgError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { exitCode?: ExitCode; hint?: string } = {}) {
    super(message);
    this.name = 'WgError';
    this.code = code;
    this.exitCode = opts.exitCode ?? (code === 'invalid_argument' ? ExitCode.usage : code === 'claim_lost' ? ExitCode.claimLost : ExitCode.refused);
    this.hint = opts.hint;
  }
}

export const usageError = (message: string, hint?: string): WgError =>
  new WgError('invalid_argument', message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });

/**
 * An error of the environment (disk full, permissions, a read-only file system, the open-file
 * limit, an I/O error), from a Node system error — one line with its own code and hint, not a
 * bug in wg (issue 14). Undefined for anything else. `written` says what the user may rely on:
 * the store writes a temp file and renames it, so a failure before the commit changed nothing.
 */
export function environmentError(e: unknown, written = 'nothing was written'): WgError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, path, syscall } = e as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return undefined;
  const at = typeof path === 'string' ? ` (${path})` : '';
  const what = typeof syscall === 'string' ? `${syscall}${at}` : at.slice(1);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new WgError('disk_full', `the disk is full${code === 'EDQUOT' ? ' (quota exceeded)' : ''}: ${written}${at}`, { hint: 'free some space, then run the command again' });
    case 'EACCES':
    case 'EPERM':
      return new WgError('permission_denied', `permission denied${at}: ${written}`, { hint: 'check the owner and mode of that path (and of .wg/ and its files)' });
    case 'EROFS':
      return new WgError('read_only', `the file system is read-only${at}: ${written}`, { hint: 'run wg where .wg/ is writable, or remount it read-write' });
    case 'EMFILE':
    case 'ENFILE':
      return new WgError('too_many_open_files', `too many open files${code === 'ENFILE' ? ' on the system' : ''} (${what || code}): ${written}`, { hint: "raise the limit ('ulimit -n') or close other programs, then run the command again" });
    case 'EIO':
      return new WgError('io', `input/output error${at}: ${written}`, { hint: 'the disk or file system reported an error; check it (dmesg) before retrying' });
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ELOOP':
    case 'ENAMETOOLONG':
      // A path given by the user (--dir, --out) or a .wg/ entry that is not what it should be.
      return typeof path === 'string' ? new WgError('io', `${(e as Error).message.split('\n')[0]}: ${written}`, { hint: 'check that path and run the command again' }) : undefined;
    default:
      return undefined;
  }
}
