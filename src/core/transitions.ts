/**
 * Statuses and transitions (SPEC §2) — the one place. Every status set the rules use is named
 * here, and every command that changes a status has one row in TRANSITIONS: the statuses it
 * accepts, the ones where it is a no-op success, the statuses it can leave behind, and what it
 * does to the claim. The planners check `from` through `requireFrom`/`accepts`; a property test
 * (test/unit/transitions-table.test.ts) runs every planner on random graphs and checks that no
 * write moves a task along an edge its row does not list.
 *
 * Differences from the table in SPEC §2, all kept from the behaviour the tests pin down:
 * `claim` and `unclaim` also accept `blocked` (and `unclaim` `incomplete`): a human may take or
 * give back a task whose status was set to blocked by hand; `done` also accepts `blocked`.
 */
import type { Task } from './task.js';
import { WgError } from './errors.js';

export const STATUSES = [
  'open',
  'in-progress',
  'waiting',
  'blocked',
  'done',
  'failed',
  'abandoned',
  'pending-validation',
  'pending-eval',
  'failed-pending-eval',
  'incomplete',
] as const;
export type Status = (typeof STATUSES)[number];

export const isStatus = (s: unknown): s is Status => typeof s === 'string' && (STATUSES as readonly string[]).includes(s);

const set = (...s: Status[]): ReadonlySet<Status> => new Set(s);
const allBut = (...s: Status[]): ReadonlySet<Status> => new Set(STATUSES.filter((x) => !s.includes(x)));

/** Terminal: nothing happens to these without a human (retry, reset, recover). */
export const TERMINAL_STATUSES = set('done', 'failed', 'abandoned');
export const isTerminal = (s: Status): boolean => TERMINAL_STATUSES.has(s);
export const NON_TERMINAL_STATUSES = allBut('done', 'failed', 'abandoned');

/** A task can be ready only in one of these (readiness adds paused, time gates, dependencies). */
export const READY_STATUSES = set('open', 'incomplete');
/** A dependency in one of these no longer blocks its dependents. */
export const SATISFYING_STATUSES = set('done', 'abandoned');
/** …and for a system (dot) dependent, also a dependency that awaits its evaluation. */
export const SATISFYING_STATUSES_SYSTEM = set('done', 'abandoned', 'pending-eval', 'failed-pending-eval');
/** Work that finished and waits for its `.evaluate-X` companion. */
export const AWAITING_EVALUATION = set('pending-eval', 'failed-pending-eval');
/** Finished work an evaluator can judge (the Rust tool: done, failed, pending-eval). */
export const EVALUABLE_STATUSES = set('done', 'pending-eval', 'failed', 'failed-pending-eval');
/** Not started: a task here has no work in flight (an orphaned `.evaluate-X` here is abandoned). */
export const UNSTARTED_STATUSES = set('open', 'incomplete', 'blocked');
/** Claims the reconciler looks at: an agent holding a task in one of these must be alive. */
export const STALE_CLAIM_STATUSES = set('in-progress', 'open');
/** The registry marks an agent `done` when its task ended in one of these under its claim (its work is finished). */
export const DONE_STATUSES = set('done', 'pending-eval', 'pending-validation');

export type ClaimEffect = 'set' | 'cleared' | 'kept';

export interface Transition {
  /** Statuses the command acts on; any other is refused (a single task) or skipped (a batch). */
  from: ReadonlySet<Status>;
  /** Statuses where the command is a no-op success (`done` on a done task). */
  noop?: ReadonlySet<Status>;
  /** Statuses the task can have afterwards (`same`: the status is left as it was). */
  to: ReadonlySet<Status | 'same'>;
  claim: ClaimEffect;
}

const row = (from: ReadonlySet<Status>, to: Array<Status | 'same'>, claim: ClaimEffect, noop?: ReadonlySet<Status>): Transition => ({
  from,
  to: new Set(to),
  claim,
  ...(noop ? { noop } : {}),
});

/**
 * The transition table. User commands first (SPEC §2 and §5), then what the service does.
 * `release` is the status rule of a claim release that is not a re-queue (kill, stale-claim
 * cleanup downstream of a retry): in-progress goes back to open, any other status stays.
 */
export const TRANSITIONS = {
  claim: row(set('open', 'incomplete', 'blocked'), ['in-progress'], 'set'),
  unclaim: row(set('in-progress', 'open', 'incomplete', 'blocked'), ['open'], 'cleared'),
  /** With validation required (`--validation`), done stops at pending-validation for a human. */
  done: row(set('in-progress', 'open', 'incomplete', 'waiting', 'blocked'), ['done', 'pending-eval', 'pending-validation'], 'kept', set('done', 'pending-eval', 'pending-validation')),
  fail: row(NON_TERMINAL_STATUSES, ['failed'], 'kept', set('failed')),
  abandon: row(allBut('done', 'abandoned'), ['abandoned'], 'kept', set('abandoned')),
  retry: row(set('in-progress', 'open', 'failed', 'incomplete'), ['open'], 'cleared'),
  reset: row(new Set(STATUSES), ['open'], 'cleared'),
  requeue: row(set('in-progress'), ['open'], 'cleared'),
  recover: row(set('failed', 'incomplete'), ['open'], 'cleared'),
  /** `wg recover` abandons the failed `.evaluate-/.flip-/.assign-` companions of what it re-queues. */
  'recover-companion': row(set('failed'), ['abandoned'], 'kept'),
  /** `wg kill AGENT`: the agent's task is released (and paused unless --redispatch). */
  kill: row(new Set(STATUSES), ['open', 'same'], 'cleared'),
  /** Stale claims downstream of a retried task (`wg retry`'s eager cleanup). */
  'clear-stale-claim': row(NON_TERMINAL_STATUSES, ['open', 'same'], 'cleared'),
  pause: row(new Set(STATUSES), ['same'], 'kept'),
  /** `wg publish`: a draft and its paused subgraph are unpaused (status unchanged). */
  publish: row(new Set(STATUSES), ['same'], 'kept'),
  /** The human gates (SPEC §2): approve lands the work; reject re-opens it (or fails it past max_rejections). */
  approve: row(set('pending-validation', 'pending-eval'), ['done'], 'kept', set('done')),
  reject: row(set('pending-validation', 'pending-eval'), ['open', 'failed'], 'cleared'),
  /** `wg wait`: the agent parks its task on a condition and gives its slot back. */
  wait: row(set('in-progress'), ['waiting'], 'cleared'),
  /** The condition of a waiting task holds: back to the queue (the service re-dispatches it). */
  'wait-resume': row(set('waiting'), ['open'], 'cleared'),
  /** `wg incomplete`: not failed, needs another pass (an attempt; failed past max_retries). */
  incomplete: row(set('in-progress', 'open', 'waiting', 'blocked'), ['incomplete', 'failed'], 'cleared', set('incomplete')),
  /** A loop iteration re-opens the done members of a configured cycle (abandoned ones stay). */
  'cycle-iterate': row(set('done'), ['open'], 'cleared'),
  // The service.
  spawn: row(READY_STATUSES, ['in-progress'], 'set'),
  /** A failed spawn gives the claim back; keyed on the agent's claim, not on the status. */
  'spawn-rollback': row(new Set(STATUSES), ['open'], 'cleared'),
  /** The agent's process ended while its task was in progress (SPEC §4). */
  'agent-exit': row(set('in-progress'), ['done', 'pending-eval', 'pending-validation', 'failed', 'failed-pending-eval', 'open'], 'kept'),
  /** The reconciler: the claim of a dead or unknown agent (a death counts; past the bound: failed). */
  reconcile: row(STALE_CLAIM_STATUSES, ['open', 'failed'], 'cleared'),
  /** `service stop --kill-agents`: claims given back without counting a death. */
  'release-claims': row(STALE_CLAIM_STATUSES, ['open'], 'cleared'),
  'eval-promote': row(set('pending-eval'), ['done'], 'kept'),
  /** An LLM agent's failure that waited for its evaluation (failed-pending-eval) ends failed. */
  'eval-resolve-failed': row(set('failed-pending-eval'), ['failed'], 'kept'),
  'eval-rescue': row(set('pending-eval'), ['open'], 'cleared'),
  /** The companion of a rescued task is re-opened with it. */
  'eval-reopen-companion': row(TERMINAL_STATUSES, ['open'], 'cleared'),
  'eval-reject': row(set('pending-eval'), ['failed'], 'kept'),
  /** An unstarted `.evaluate-X` whose source is abandoned or gone. */
  'eval-orphan': row(UNSTARTED_STATUSES, ['abandoned'], 'kept'),
} as const satisfies Record<string, Transition>;

export type Command = keyof typeof TRANSITIONS;

export const accepts = (command: Command, status: Status): boolean => TRANSITIONS[command].from.has(status);
export const isNoop = (command: Command, status: Status): boolean => !!(TRANSITIONS[command] as Transition).noop?.has(status);

/** Whether `from → to` is an edge of the command's row. */
export function allows(command: Command, from: Status, to: Status): boolean {
  const t: Transition = TRANSITIONS[command];
  if (!t.from.has(from)) return false;
  return t.to.has(to) || (from === to && t.to.has('same'));
}

/** The status after a release that is not a re-queue: in-progress → open, anything else stays. */
export const releasedStatus = (s: Status): Status => (s === 'in-progress' ? 'open' : s);

/** Throws the one-line refusal unless the command accepts the task's status. */
export function requireFrom(command: Command, task: Task, verb: string): void {
  if (!accepts(command, task.status)) throw transitionError(task, verb);
}

/** One-line refusal for an illegal transition, naming the status and the command that helps. */
export function transitionError(task: Task, command: string): WgError {
  const id = task.id;
  const help: Partial<Record<Status, string>> = {
    failed: `use 'wg retry ${id}'`,
    abandoned: `use 'wg reset ${id}' to reopen it`,
    done: `use 'wg reset ${id}' to reopen it`,
    'in-progress': `use 'wg unclaim ${id}' to release it`,
    'pending-eval': `use 'wg approve ${id}' or wait for its evaluation`,
    'pending-validation': `use 'wg approve ${id}' or 'wg reject ${id}'`,
    'failed-pending-eval': `wait for its evaluation`,
    waiting: `it is waiting on a condition (see 'wg show ${id}')`,
    incomplete: `use 'wg claim ${id}' or let the service run it`,
  };
  return new WgError('invalid_transition', `task '${id}' is ${task.status} — cannot ${command}; ${help[task.status] ?? `see 'wg show ${id}'`}`);
}
