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
  | 'verify_failed'
  | 'unmerged'
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
