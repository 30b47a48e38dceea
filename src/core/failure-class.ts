/**
 * `failure_class` (SPEC §1): a closed list in the Rust tool, which refuses a whole graph.jsonl
 * holding any other value. On disk its spelling keeps the digits attached to the word before them
 * (`api-error400-document`); its CLI (`wg fail --class`) and display put a dash before them
 * (`api-error-400-document`). wg accepts both on input and writes only the on-disk spelling; the
 * precise cause of a failure goes in `failure_reason`. docs/rust-compat.md §3.4.
 */

/** The on-disk values, the only ones wg writes. */
export const FAILURE_CLASSES = [
  'api-error400-document',
  'api-error429-rate-limit',
  'api-error5xx-transient',
  'agent-hard-timeout',
  'agent-exit-nonzero',
  'wrapper-internal',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** The Rust CLI/display spelling of each on-disk value (a dash before the digits). */
export const displayFailureClass = (c: string): string => c.replace(/^api-error(\d)/, 'api-error-$1');

/** The spellings `--class` lists in its help and errors (the Rust CLI's). */
export const FAILURE_CLASS_CHOICES: readonly string[] = FAILURE_CLASSES.map(displayFailureClass);

export const isFailureClass = (v: unknown): v is FailureClass => typeof v === 'string' && (FAILURE_CLASSES as readonly string[]).includes(v);

/** An on-disk value from either spelling (case as given), or undefined for anything else. */
export function parseFailureClass(input: string): FailureClass | undefined {
  const onDisk = input.replace(/^api-error-(\d)/, 'api-error$1');
  return isFailureClass(onDisk) ? onDisk : undefined;
}

/**
 * What a line must hold instead of a class the Rust tool cannot read (an older wg wrote
 * `agent-died`, `agent-killed`, `eval-rejected`, `manual`, or a CLI spelling): the class if it
 * has an on-disk spelling, else none — and the old name kept at the front of the reason, so
 * nothing a human would look for is lost.
 */
export function rustReadableFailure(cls: string, reason: unknown): { failure_class?: FailureClass; failure_reason?: string } {
  const known = parseFailureClass(cls);
  if (known) return { failure_class: known, ...(typeof reason === 'string' ? { failure_reason: reason } : {}) };
  if (typeof reason !== 'string' || reason === '') return { failure_reason: cls };
  return { failure_reason: reason.startsWith(`${cls}:`) ? reason : `${cls}: ${reason}` };
}
