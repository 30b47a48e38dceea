/**
 * The transition table (src/core/transitions.ts) against the planners: on random graphs, every
 * status change a plan writes is an edge of its command's row, the claim changes as the row
 * says (set / cleared with epoch+1 / kept), and a command never acts on a status its row does not
 * list. Plus the table's own consistency with SPEC §2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WgError } from '../../src/core/errors.js';
import type { Graph } from '../../src/core/graph.js';
import type { AgentLiveness, LivenessMap } from '../../src/core/liveness.js';
import type { Plan } from '../../src/core/plan.js';
import { planClaim, planUnclaim } from '../../src/core/plans/claim.js';
import { planAgentExit, type AgentOutcome } from '../../src/core/plans/agent-death.js';
import { planSpawnClaim, planSpawnRollback } from '../../src/core/plans/dispatch.js';
import { planResolveEvaluations } from '../../src/core/plans/evaluation.js';
import { planAbandon, planDone, planFail } from '../../src/core/plans/finish.js';
import { planReconcile, planReleaseClaims } from '../../src/core/plans/reconcile.js';
import { planRecover } from '../../src/core/plans/recover.js';
import { planKillRelease, planRequeue } from '../../src/core/plans/requeue.js';
import { planReset } from '../../src/core/plans/reset.js';
import { planRetry } from '../../src/core/plans/retry.js';
import { planPause } from '../../src/core/plans/annotate.js';
import { planApprove, planPublish, planReject } from '../../src/core/plans/gate.js';
import { planNext } from '../../src/core/plans/next.js';
import { planIncomplete } from '../../src/core/plans/progress.js';
import { planResumeWaiting, planWait } from '../../src/core/plans/wait.js';
import type { Task } from '../../src/core/task.js';
import {
  accepts,
  allows,
  isNoop,
  isTerminal,
  NON_TERMINAL_STATUSES,
  READY_STATUSES,
  releasedStatus,
  STATUSES,
  TERMINAL_STATUSES,
  TRANSITIONS,
  type Command,
  type Status,
  type Transition,
} from '../../src/core/transitions.js';
import { graph, iso, task, who } from './fixtures.js';

const IDS = ['a', 'b', 'c', 'd'];
const HOLDERS = [undefined, 'alice', 'agent-1', 'agent-2'] as const;

const arbTask = (id: string, earlier: string[]): fc.Arbitrary<Task> =>
  fc
    .record({
      status: fc.constantFrom(...STATUSES),
      holder: fc.constantFrom(...HOLDERS),
      epoch: fc.nat({ max: 4 }),
      retry: fc.nat({ max: 4 }),
      after: fc.subarray(earlier),
      paused: fc.boolean(),
      completedAgo: fc.boolean(),
      waitsForMessage: fc.boolean(),
    })
    .map(({ status, holder, epoch, retry, after, paused, completedAgo, waitsForMessage }) =>
      task(id, {
        status,
        ...(holder ? { assigned: holder } : {}),
        ...(epoch ? { claim_epoch: epoch } : {}),
        ...(retry ? { retry_count: retry } : {}),
        ...(after.length ? { after } : {}),
        ...(paused ? { paused } : {}),
        ...(completedAgo ? { completed_at: iso(-60_000) } : {}),
        ...(status === 'waiting' && waitsForMessage ? { wait_condition: { mode: 'all', conditions: [{ type: 'message' }] } } : {}),
      }),
    );

/** A small acyclic graph, sometimes with `.evaluate-a` / `.flip-a` companions. */
const arbGraph: fc.Arbitrary<Graph> = fc
  .tuple(
    ...IDS.map((id, i) => arbTask(id, IDS.slice(0, i))),
    fc.option(arbTask('.evaluate-a', ['a']), { nil: undefined }),
    fc.option(arbTask('.flip-a', ['a']), { nil: undefined }),
  )
  .map((tasks) => graph(...tasks.filter((t): t is Task => t !== undefined)));

const arbLiveness: fc.Arbitrary<LivenessMap> = fc
  .record({ 'agent-1': fc.constantFrom('alive', 'dead', 'unknown'), 'agent-2': fc.constantFrom('alive', 'dead', 'unknown') })
  .map((m) => {
    const out = new Map<string, AgentLiveness>();
    for (const [id, s] of Object.entries(m)) if (s !== 'unknown') out.set(id, s === 'alive' ? { alive: true } : { alive: false, reason: 'process 1 is gone' });
    return out;
  });

type Run = { cmd: Command; target?: string; plan: () => Plan<unknown>; classify?: (id: string, plan: Plan<unknown>) => Command };

const outcomes: AgentOutcome[] = [{ kind: 'exited', code: 0 }, { kind: 'exited', code: 1 }, { kind: 'timeout' }, { kind: 'signal', signal: 'SIGKILL' }];

/** Every planner that changes statuses, on target `id` where it takes one. */
function runs(g: Graph, id: string, liveness: LivenessMap, n: number): Run[] {
  const w = who();
  const t = g.get(id)!;
  const holder = t.assigned ?? 'agent-1';
  const epoch = t.claim_epoch ?? 0;
  return [
    { cmd: 'claim', target: id, plan: () => planClaim(g, id, who({ actor: 'bob' }), { force: n % 2 === 0 }) },
    { cmd: 'unclaim', target: id, plan: () => planUnclaim(g, id, w) },
    { cmd: 'done', target: id, plan: () => planDone(g, id, w) },
    { cmd: 'fail', target: id, plan: () => planFail(g, id, w) },
    { cmd: 'abandon', target: id, plan: () => planAbandon(g, id, w) },
    { cmd: 'retry', target: id, plan: () => planRetry(g, id, liveness, w, { debounceMs: 0, maxRetries: 10 }), classify: (x) => (x === id ? 'retry' : 'clear-stale-claim') },
    { cmd: 'reset', target: id, plan: () => planReset(g, id, 'both', liveness, w) },
    { cmd: 'requeue', target: id, plan: () => planRequeue(g, id, 'why', w) },
    { cmd: 'recover', plan: () => planRecover(g, { filters: [], keepAgency: false, maxAttempts: 10 }, w), classify: (x) => (x.startsWith('.') ? 'recover-companion' : 'recover') },
    { cmd: 'kill', target: id, plan: () => planKillRelease(g, id, holder, n % 2 === 0, w) },
    { cmd: 'pause', target: id, plan: () => planPause(g, id, w, n % 2 === 0) },
    { cmd: 'spawn', target: id, plan: () => planSpawnClaim(g, id, 'agent-9', 'shell', undefined, w) },
    { cmd: 'spawn-rollback', target: id, plan: () => planSpawnRollback(g, id, holder, epoch, 'boom', w) },
    {
      cmd: 'agent-exit',
      target: id,
      plan: () => planAgentExit(g, id, holder, epoch, outcomes[n % outcomes.length]!, w, { maxRetries: 2, exit: { mustReport: n % 3 === 0, autoEvaluate: n % 2 === 0 } }),
      // A crash is a death: the reconciler's transition.
      classify: (_x, p) => (p.ops.some((o) => o.op === 'reclaim') ? 'reconcile' : 'agent-exit'),
    },
    { cmd: 'reconcile', plan: () => planReconcile(g, liveness, w, { maxRetries: 2 }) },
    { cmd: 'approve', target: id, plan: () => planApprove(g, id, w), classify: (x) => (x === id ? 'approve' : 'cycle-iterate') },
    { cmd: 'reject', target: id, plan: () => planReject(g, id, 'not good enough', w, { maxRejections: 1 + (n % 3) }) },
    { cmd: 'publish', target: id, plan: () => planPublish(g, id, w, { only: n % 2 === 0 }) },
    { cmd: 'wait', target: id, plan: () => planWait(g, id, { mode: 'all', conditions: [{ type: 'message' }] }, 'message', w) },
    {
      cmd: 'wait-resume',
      plan: () => planResumeWaiting(g, { now: w.now, messages: new Map(IDS.map((x) => [x, { any: n % 2 === 0, human: false }])), mtimes: new Map() }, w),
    },
    { cmd: 'incomplete', target: id, plan: () => planIncomplete(g, id, 'more to do', w, { maxRetries: 2 }) },
    { cmd: 'claim', plan: () => planNext(g, who({ actor: 'carol' }), { claim: true }) },
    { cmd: 'release-claims', plan: () => planReleaseClaims(g, new Set(['agent-1']), 'stop', w) },
    {
      cmd: 'eval-promote',
      plan: () =>
        planResolveEvaluations(g, w, { threshold: 0.7, maxRescues: 1, evaluationsOf: () => [{ score: n % 2 ? 0.2 : 0.9, source: 'llm', timestamp: iso(0) }] }),
      classify: (x, p) => {
        const op = p.ops.find((o) => o.task_id === x)?.op;
        if (op === 'eval_rescue') return 'eval-rescue';
        if (op === 'eval_reject') return 'eval-reject';
        if (op === 'abandon') return 'eval-orphan';
        if (op === 'eval_promote') return 'eval-promote';
        if (op === 'eval_resolve_failed') return 'eval-resolve-failed';
        return 'eval-reopen-companion'; // the companion of a rescued task
      },
    },
  ];
}

function checkWrite(cmd: Command, before: Task, after: Task): void {
  const row: Transition = TRANSITIONS[cmd];
  const what = `${cmd} on ${before.id}: ${before.status} → ${after.status}`;
  expect(allows(cmd, before.status, after.status), what).toBe(true);
  const e0 = before.claim_epoch ?? 0;
  const e1 = after.claim_epoch ?? 0;
  if (row.claim === 'kept') {
    expect(after.assigned, `${what}: claim kept`).toBe(before.assigned);
    expect(e1, `${what}: epoch kept`).toBe(e0);
  } else {
    expect(e1, `${what}: epoch+1`).toBe(e0 + 1);
    if (row.claim === 'cleared') expect(after.assigned, `${what}: claim cleared`).toBeUndefined();
    else expect(after.assigned, `${what}: claim set`).toBeDefined();
  }
}

describe('property: the planners follow the transition table', () => {
  it('every write is an edge of its command, with the claim effect of its row; refused statuses change nothing', () => {
    fc.assert(
      fc.property(arbGraph, fc.constantFrom(...IDS), arbLiveness, fc.nat({ max: 7 }), (g, id, liveness, n) => {
        for (const run of runs(g, id, liveness, n)) {
          let plan: Plan<unknown>;
          try {
            plan = run.plan();
          } catch (e) {
            expect(e, run.cmd).toBeInstanceOf(WgError);
            continue;
          }
          for (const w of plan.writes) {
            const before = g.get(w.id);
            if (!before) continue; // a new task (none of these planners adds one)
            checkWrite(run.classify ? run.classify(w.id, plan) : run.cmd, before, w);
          }
          // A single-target command never acts on a status its row does not list.
          if (run.target) {
            const t = g.get(run.target)!;
            if (!accepts(run.cmd, t.status)) expect(plan.writes.some((w) => w.id === run.target), `${run.cmd} acted on ${t.status}`).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a refused single-task command is refused because of its row (or a rule beyond status), never silently', () => {
    fc.assert(
      fc.property(arbGraph, fc.constantFrom(...IDS), (g, id) => {
        const t = g.get(id)!;
        for (const [cmd, plan] of [
          ['unclaim', () => planUnclaim(g, id, who())],
          ['fail', () => planFail(g, id, who())],
          ['abandon', () => planAbandon(g, id, who())],
          ['requeue', () => planRequeue(g, id, 'why', who())],
        ] as Array<[Command, () => Plan<unknown>]>) {
          const ok = accepts(cmd, t.status) || isNoop(cmd, t.status);
          if (ok) expect(plan).not.toThrow();
          else expect(plan).toThrow(/cannot/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the table itself', () => {
  const rows = Object.entries(TRANSITIONS) as Array<[Command, Transition]>;

  it('names only real statuses, and no status is both acted on and a no-op', () => {
    for (const [cmd, row] of rows) {
      for (const s of row.to) expect(s === 'same' || (STATUSES as readonly string[]).includes(s), `${cmd} → ${s}`).toBe(true);
      for (const s of row.noop ?? []) expect(row.from.has(s), `${cmd}: ${s} is both`).toBe(false);
      expect(row.from.size, cmd).toBeGreaterThan(0);
    }
  });

  it('matches SPEC §2', () => {
    const has = (cmd: Command, ...s: Status[]) => s.every((x) => accepts(cmd, x));
    expect(has('claim', 'open', 'incomplete')).toBe(true);
    expect(has('unclaim', 'in-progress', 'open')).toBe(true);
    expect(has('done', 'in-progress', 'open', 'incomplete', 'waiting')).toBe(true);
    expect([...(TRANSITIONS.done as Transition).noop!]).toEqual(['done', 'pending-eval', 'pending-validation']);
    expect(has('approve', 'pending-validation', 'pending-eval')).toBe(true);
    expect(has('reject', 'pending-validation', 'pending-eval')).toBe(true);
    expect(TRANSITIONS.approve.to).toEqual(new Set(['done']));
    expect(TRANSITIONS.reject.to).toEqual(new Set(['open', 'failed']));
    expect([...TRANSITIONS.fail.from].sort()).toEqual([...NON_TERMINAL_STATUSES].sort());
    expect(STATUSES.filter((s) => !accepts('abandon', s))).toEqual(['done', 'abandoned']);
    expect(STATUSES.every((s) => accepts('reset', s))).toBe(true);
    expect([...TRANSITIONS.requeue.from]).toEqual(['in-progress']);
    for (const cmd of ['retry', 'reset', 'requeue', 'recover', 'unclaim'] as Command[]) {
      expect(TRANSITIONS[cmd].to, cmd).toEqual(new Set(['open']));
      expect(TRANSITIONS[cmd].claim, cmd).toBe('cleared');
    }
    expect(TRANSITIONS.claim.claim).toBe('set');
    for (const cmd of ['done', 'fail', 'abandon'] as Command[]) expect(TRANSITIONS[cmd].claim, cmd).toBe('kept');
  });

  it('terminal statuses: never ready, never claimed or spawned; the only ways out are retry, reset, recover, a loop or an evaluation', () => {
    expect([...TERMINAL_STATUSES]).toEqual(['done', 'failed', 'abandoned']);
    expect(STATUSES.filter(isTerminal)).toEqual(['done', 'failed', 'abandoned']);
    for (const s of TERMINAL_STATUSES) expect(READY_STATUSES.has(s)).toBe(false);
    const outOfTerminal = rows.filter(([, row]) => [...row.from].some((s) => isTerminal(s)) && [...row.to].some((s) => s !== 'same' && !isTerminal(s as Status))).map(([c]) => c);
    expect(outOfTerminal.sort()).toEqual(['cycle-iterate', 'eval-reopen-companion', 'kill', 'recover', 'reset', 'retry', 'spawn-rollback'].sort());
    for (const [cmd, row] of rows) if (row.claim === 'set') for (const s of row.from) expect(isTerminal(s), `${cmd} claims from ${s}`).toBe(false);
  });

  it('a release that is not a re-queue only moves in-progress back to open', () => {
    for (const s of STATUSES) expect(releasedStatus(s)).toBe(s === 'in-progress' ? 'open' : s);
    for (const s of STATUSES) expect(allows('kill', s, releasedStatus(s))).toBe(true);
  });
});
