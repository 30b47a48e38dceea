/**
 * Human gates on finishing work (SPEC §10), in the Rust tool's task fields:
 *   `verify`      a shell command `wg done` runs first; non-zero refuses the done.
 *   `validation`  a mode: `external` (or `llm`) sends a finished task to `pending-validation`,
 *                 where a human runs `wg approve` or `wg reject --reason`; `none`/`integrated`
 *                 (or absent): no gate. The criteria themselves live in the description under
 *                 `## Validation` (where the Rust tool and its evaluator look for them).
 *   `rejection_count`, `max_rejections`: rejections so far, and the bound (else the setting).
 */
import type { Task } from './task.js';

export const VALIDATION_MODES = ['none', 'integrated', 'external', 'llm'] as const;
/** Modes that stop a finished task at `pending-validation` (the Rust tool's `external` and `llm`). */
const GATED: ReadonlySet<string> = new Set(['external', 'llm']);

export const requiresValidation = (task: Pick<Task, 'validation'>): boolean => typeof task.validation === 'string' && GATED.has(task.validation);

export const DEFAULT_MAX_REJECTIONS = 3;

/** The rejection bound of a task: its own `max_rejections`, else the setting. */
export const maxRejections = (task: Task, fallback = DEFAULT_MAX_REJECTIONS): number =>
  typeof task.max_rejections === 'number' ? task.max_rejections : fallback;

/** `--validation TEXT`: a mode word as is; any other text is criteria, with the `external` gate. */
export function validationFromFlag(text: string): { mode: string; criteria?: string } {
  const t = text.trim();
  if ((VALIDATION_MODES as readonly string[]).includes(t)) return { mode: t };
  return { mode: 'external', criteria: t };
}

/** The description with `criteria` appended under a `## Validation` heading. */
export function withValidationSection(description: string | undefined, criteria: string): string {
  const head = description?.trimEnd();
  return `${head ? `${head}\n\n` : ''}## Validation\n${criteria}`;
}

/** The log message of a rejection (the Rust tool's words: both tools read each other's). */
export const rejectionMessage = (n: number, max: number, reason: string, failing: boolean): string =>
  `Task rejected (${n}/${max})${failing ? ', failing' : ''}: ${reason}`;

const REJECTION = /^Task rejected \((\d+)\/(\d+)\)(, failing)?: ([\s\S]*)$/;

export interface Rejection {
  timestamp: string;
  by: string | undefined;
  n: number;
  max: number;
  reason: string;
}

/** The rejections recorded in the task's log, oldest first (the next attempt's prompt shows them). */
export function rejections(task: Task): Rejection[] {
  const out: Rejection[] = [];
  for (const e of task.log ?? []) {
    const m = REJECTION.exec(e.message);
    if (m) out.push({ timestamp: e.timestamp, by: e.user ?? e.actor, n: Number(m[1]), max: Number(m[2]), reason: m[4]! });
  }
  return out;
}
