/**
 * Property tests (fast-check): the pure core against naive reference implementations written
 * here, over random graphs. Deterministic per run (fast-check prints the seed on failure).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WgError } from '../../src/core/errors.js';
import { Graph } from '../../src/core/graph.js';
import { isValidTaskId, slugFromTitle, uniqueId } from '../../src/core/ids.js';
import { planAdd } from '../../src/core/plans/add.js';
import { planClaim, planClaimNext, planUnclaim } from '../../src/core/plans/claim.js';
import { planAddDep, planRmDep } from '../../src/core/plans/deps.js';
import { planEdit } from '../../src/core/plans/edit.js';
import { planAbandon, planDone, planFail } from '../../src/core/plans/finish.js';
import type { Plan } from '../../src/core/plan.js';
import { isReady, readiness, readyTasks } from '../../src/core/readiness.js';
import { FAILURE_CLASSES, FIELD_ORDER, isTerminal, serializeTask, STATUSES, type Status, type Task } from '../../src/core/task.js';
import { apply, HOUR, NOW, task, who } from './fixtures.js';

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------- random graphs

interface RawTask {
  status: Status;
  paused: boolean;
  deps: number[]; // indices (into the id list)
  ghost: boolean; // also depends on a missing task
  gate: -1 | 0 | 1; // not_before: none / past / future
}

const rawTask = (n: number): fc.Arbitrary<RawTask> =>
  fc.record({
    status: fc.constantFrom(...STATUSES),
    paused: fc.boolean(),
    deps: fc.uniqueArray(fc.nat({ max: Math.max(0, n - 1) }), { maxLength: 4 }),
    ghost: fc.integer({ min: 0, max: 9 }).map((x) => x < 3),
    gate: fc.constantFrom(-1 as const, 0 as const, 1 as const),
  });

/**
 * A random graph of up to 14 tasks; `dag` keeps edges from higher to lower index (acyclic);
 * `system` lets some ids be dot-prefixed (`.evaluate-<other>` among them).
 */
function randomGraph(opts: { dag: boolean; system: boolean; gates?: boolean }): fc.Arbitrary<Task[]> {
  return fc
    .integer({ min: 1, max: 14 })
    .chain((n) => fc.tuple(fc.array(rawTask(n), { minLength: n, maxLength: n }), fc.array(fc.nat({ max: 4 }), { minLength: n, maxLength: n })))
    .map(([raws, kinds]) => {
      const ids = raws.map((_, i) => `t${i}`);
      if (opts.system) {
        // some tasks become system tasks: `.evaluate-t<j>` for an earlier j, or a plain dot id
        kinds.forEach((k, i) => {
          if (k === 0 && i > 0) ids[i] = `.evaluate-t${i - 1}`;
          else if (k === 1) ids[i] = `.sys${i}`;
        });
      }
      const tasks = raws.map((r, i): Task => {
        let deps = r.deps.map((d) => ids[d]!).filter((d) => d !== ids[i]);
        if (opts.dag) deps = r.deps.filter((d) => d < i).map((d) => ids[d]!);
        if (r.ghost) deps.push('ghost');
        const t = task(ids[i]!, { status: r.status });
        if (r.paused) t.paused = true;
        if (deps.length) t.after = [...new Set(deps)];
        if (opts.gates && r.gate !== -1) t.not_before = new Date(NOW.getTime() + (r.gate === 1 ? HOUR : -HOUR)).toISOString();
        return t;
      });
      return tasks;
    })
    .chain((tasks) => fc.shuffledSubarray(tasks, { minLength: tasks.length, maxLength: tasks.length }));
}

// ---------------------------------------------------------------- reference implementations

/** The SPEC §2 definition, written out naively for acyclic graphs. */
function refReady(tasks: Task[], t: Task, now: Date): boolean {
  const byId = new Map(tasks.map((x) => [x.id, x]));
  if (t.status !== 'open' && t.status !== 'incomplete') return false;
  if (t.paused) return false;
  for (const f of ['not_before', 'ready_after'] as const) {
    const v = t[f];
    if (v && !(Date.parse(v) <= now.getTime())) return false;
  }
  const system = t.id.startsWith('.');
  for (const d of t.after ?? []) {
    const dt = byId.get(d);
    if (!dt) return false;
    const ok = dt.status === 'done' || dt.status === 'abandoned' || (system && (dt.status === 'pending-eval' || dt.status === 'failed-pending-eval'));
    if (!ok) return false;
    if (!system && !d.startsWith('.')) {
      const ev = byId.get(`.evaluate-${d}`);
      if (ev && !['done', 'failed', 'abandoned'].includes(ev.status)) return false;
    }
  }
  return true;
}

/** Naive BFS: forward = along "is a dependency of" edges, backward = along `after`. */
function refClosure(tasks: Task[], seeds: string[], dir: 'forward' | 'backward' | 'both'): Set<string> {
  const byId = new Map(tasks.map((x) => [x.id, x]));
  const ok = (id: string): boolean => byId.has(id) && !id.startsWith('.');
  const out = new Set(seeds.filter(ok));
  let frontier = [...out];
  while (frontier.length) {
    const nextFrontier: string[] = [];
    for (const id of frontier) {
      const next: string[] = [];
      if (dir !== 'backward') for (const t of tasks) if ((t.after ?? []).includes(id)) next.push(t.id);
      if (dir !== 'forward') next.push(...(byId.get(id)!.after ?? []));
      for (const n of next) {
        if (ok(n) && !out.has(n)) {
          out.add(n);
          nextFrontier.push(n);
        }
      }
    }
    frontier = nextFrontier;
  }
  return out;
}

// ---------------------------------------------------------------- (1) readiness

describe('property: readiness', () => {
  it('on random DAGs, ready ⇔ open/incomplete ∧ ¬paused ∧ every dependency done/abandoned', () => {
    fc.assert(
      fc.property(randomGraph({ dag: true, system: false }), (tasks) => {
        const g = new Graph(tasks);
        for (const t of tasks) {
          const expected =
            (t.status === 'open' || t.status === 'incomplete') &&
            !t.paused &&
            (t.after ?? []).every((d) => {
              const s = g.get(d)?.status;
              return s === 'done' || s === 'abandoned';
            });
          expect(isReady(g, t, NOW)).toBe(expected);
          // the full and the fast form agree
          expect(readiness(g, t, NOW, true).ready).toBe(expected);
          expect(readiness(g, t, NOW, true).blockers.length === 0).toBe(expected);
        }
      }),
      RUNS,
    );
  });

  it('with system tasks, eval gates and time gates, readiness matches the SPEC reference', () => {
    fc.assert(
      fc.property(randomGraph({ dag: true, system: true, gates: true }), (tasks) => {
        const g = new Graph(tasks);
        for (const t of tasks) expect(isReady(g, t, NOW)).toBe(refReady(tasks, t, NOW));
      }),
      RUNS,
    );
  });

  it('readyTasks never returns a task with an unsatisfied dependency (any graph, cycles included)', () => {
    fc.assert(
      fc.property(randomGraph({ dag: false, system: true }), (tasks) => {
        const g = new Graph(tasks);
        const ready = readyTasks(g, NOW);
        const be = g.cycleAnalysis().backEdges;
        for (const t of ready) {
          expect(['open', 'incomplete']).toContain(t.status);
          expect(t.paused).toBeFalsy();
          for (const d of t.after ?? []) {
            const dt = g.get(d);
            expect(dt, `ready task ${t.id} has missing dep ${d}`).toBeDefined();
            if (be.has(`${t.id}\u0000${d}`)) continue; // only configured cycles have back-edges
            const ok = ['done', 'abandoned'].includes(dt!.status) || (t.id.startsWith('.') && ['pending-eval', 'failed-pending-eval'].includes(dt!.status));
            expect(ok, `ready task ${t.id} waits on ${d} (${dt!.status})`).toBe(true);
          }
        }
        // readyTasks is exactly the filter of isReady, in file order
        expect(ready.map((t) => t.id)).toEqual(tasks.filter((t) => isReady(g, t, NOW)).map((t) => t.id));
      }),
      RUNS,
    );
  });

  it('an unconfigured cycle gets no exemption: a ready member has every in-cycle dependency finished', () => {
    fc.assert(
      fc.property(randomGraph({ dag: false, system: false }), (tasks) => {
        const g = new Graph(tasks);
        for (const c of g.cycleAnalysis().cycles) {
          if (c.configOwner) continue;
          const finished = (id: string): boolean => ['done', 'abandoned'].includes(g.get(id)!.status);
          for (const m of c.members) {
            const t = g.get(m)!;
            const inCycle = (t.after ?? []).filter((d) => c.members.includes(d));
            if (isReady(g, t, NOW)) expect(inCycle.every(finished)).toBe(true);
            else if (!inCycle.every(finished) && ['open', 'incomplete'].includes(t.status) && !t.paused) {
              expect(readiness(g, t, NOW).blockers).toContainEqual({ kind: 'cycle', members: c.members });
            }
          }
          // with no finished member, no member is ready (a deadlock that wg check reports)
          if (!c.members.some(finished)) for (const m of c.members) expect(isReady(g, g.get(m)!, NOW)).toBe(false);
        }
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- (2) closures

describe('property: closures', () => {
  const input = randomGraph({ dag: false, system: true }).chain((tasks) =>
    fc.tuple(fc.constant(tasks), fc.subarray([...tasks.map((t) => t.id), 'ghost', 'nope'], { minLength: 1 })),
  );

  it('forward / backward equal the naive BFS; both ⊇ each; seeds included; no system ids', () => {
    fc.assert(
      fc.property(input, ([tasks, seeds]) => {
        const g = new Graph(tasks);
        const fwd = g.closure(seeds, 'forward');
        const bwd = g.closure(seeds, 'backward');
        const both = new Set(g.closure(seeds, 'both'));
        expect(new Set(fwd)).toEqual(refClosure(tasks, seeds, 'forward'));
        expect(new Set(bwd)).toEqual(refClosure(tasks, seeds, 'backward'));
        expect(both).toEqual(refClosure(tasks, seeds, 'both'));
        expect(new Set(fwd).size).toBe(fwd.length); // no duplicates
        for (const id of [...fwd, ...bwd]) expect(both.has(id)).toBe(true);
        for (const s of seeds) {
          const included = g.has(s) && !s.startsWith('.');
          expect(fwd.includes(s)).toBe(included);
          expect(bwd.includes(s)).toBe(included);
        }
        for (const id of both) {
          expect(id.startsWith('.')).toBe(false);
          expect(g.has(id)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- (3) serialization

const KNOWN = new Set<string>(FIELD_ORDER);
const ALWAYS = new Set(['kind', 'id', 'title', 'status', 'priority']);
const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0);

const optStr = fc.option(fc.string(), { nil: undefined });
const strList = fc.array(fc.string(), { maxLength: 3 });
const knownFields = fc.record(
  {
    description: optStr,
    assigned: optStr,
    before: strList,
    after: strList,
    tags: strList,
    deliverables: strList,
    artifacts: strList,
    skills: strList,
    exec: optStr,
    exec_mode: optStr,
    model: optStr,
    agent: optStr,
    timeout: optStr,
    not_before: optStr,
    ready_after: optStr,
    created_at: optStr,
    started_at: optStr,
    completed_at: optStr,
    last_interaction_at: optStr,
    failure_reason: fc.option(fc.string(), { nil: null }),
    failure_class: fc.option(fc.constantFrom(...FAILURE_CLASSES), { nil: undefined }),
    visibility: optStr,
    log: fc.array(fc.record({ timestamp: fc.string(), actor: fc.string(), message: fc.string() }, { requiredKeys: ['timestamp', 'message'] }), { maxLength: 3 }),
    retry_count: fc.nat(),
    max_retries: fc.nat(),
    loop_iteration: fc.nat(),
    dispatch_count: fc.nat(),
    claim_epoch: fc.nat({ max: 3 }),
    paused: fc.boolean(),
    cycle_config: fc.record({ max_iterations: fc.nat(), delay: fc.string(), guard: fc.constantFrom('Always', { IterationLessThan: 3 }) }, { requiredKeys: ['max_iterations'] }),
    token_usage: fc.record({ cost_usd: fc.double({ noNaN: true, noDefaultInfinity: true }), input_tokens: fc.nat() }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const unknownKey = (identifierOnly: boolean): fc.Arbitrary<string> =>
  (identifierOnly ? fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/) : fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', '0', '12', 'x-y')))
    .filter((k) => !KNOWN.has(k));

const arbTask = (identifierOnly: boolean): fc.Arbitrary<Task> =>
  fc
    .tuple(
      fc.string(),
      fc.string(),
      fc.constantFrom(...STATUSES),
      fc.integer({ min: 0, max: 100 }),
      knownFields,
      fc.uniqueArray(fc.tuple(unknownKey(identifierOnly), fc.jsonValue()), { maxLength: 5, selector: ([k]) => k }),
      fc.boolean(),
    )
    .chain(([id, title, status, priority, known, unknown, withKind]) => {
      const entries: Array<[string, unknown]> = [...(withKind ? [['kind', 'task'] as [string, unknown]] : []), ...Object.entries({ id, title, status, priority, ...known }), ...unknown];
      // known and unknown keys interleaved in a random order
      return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((shuffled) => Object.fromEntries(shuffled) as Task);
    });

const normalize = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('property: serializeTask', () => {
  it('JSON.parse(serializeTask(t)) keeps every field except empty known ones, unknown fields included', () => {
    fc.assert(
      fc.property(arbTask(false), (t) => {
        const line = serializeTask(t);
        expect(line).not.toContain('\n');
        const parsed = JSON.parse(line) as Record<string, unknown>;
        const expected: Array<[string, unknown]> = [['kind', 'task']];
        for (const [k, v] of Object.entries(t)) {
          if (k === 'kind') continue;
          // max_retries: 0 means "never re-queue", so a 0 there is kept
          if (KNOWN.has(k) && !ALWAYS.has(k) && isEmpty(v) && !(k === 'max_retries' && v === 0)) continue;
          expected.push([k, v]);
        }
        expect(parsed).toEqual(normalize(Object.fromEntries(expected)));
        // every own key of the parsed line is one we expect, and vice versa
        expect(new Set(Object.keys(parsed))).toEqual(new Set(expected.map(([k]) => k)));
        // idempotent: a re-save of a re-read line is byte-identical
        expect(serializeTask(parsed as Task)).toBe(line);
      }),
      RUNS,
    );
  });

  it('known fields come first in FIELD_ORDER, then unknown fields in their original order', () => {
    fc.assert(
      fc.property(arbTask(true), (t) => {
        const keys = Object.keys(JSON.parse(serializeTask(t)) as object);
        const known = keys.filter((k) => KNOWN.has(k));
        const unknown = keys.filter((k) => !KNOWN.has(k));
        expect(keys).toEqual([...known, ...unknown]);
        expect(known[0]).toBe('kind');
        const idx = known.map((k) => FIELD_ORDER.indexOf(k as (typeof FIELD_ORDER)[number]));
        expect(idx).toEqual([...idx].sort((a, b) => a - b));
        expect(unknown).toEqual(Object.keys(t).filter((k) => !KNOWN.has(k)));
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- (4) ids

describe('property: ids from titles', () => {
  it('slugFromTitle always yields a valid task id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 400 })), (title) => {
        const slug = slugFromTitle(title);
        expect(isValidTaskId(slug), `slug ${JSON.stringify(slug)} of ${JSON.stringify(title)}`).toBe(true);
        expect(slug.startsWith('.')).toBe(false);
        // a collision suffix keeps it valid
        expect(isValidTaskId(uniqueId(slug, (x) => x === slug || x === `${slug}-2`))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('planAdd always creates a valid, unique id for any non-empty title', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0), { minLength: 1, maxLength: 8 }), (titles) => {
        let g = new Graph([]);
        for (const title of titles) {
          const p = planAdd(g, { title }, who());
          expect(isValidTaskId(p.result.task.id)).toBe(true);
          expect(g.has(p.result.task.id)).toBe(false);
          g = apply(g, p.writes);
        }
        expect(g.all()).toHaveLength(titles.length);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------- (5) invariants under random operations

const IDS = ['a', 'b', 'c', 'd', 'e'];
type Op =
  | { kind: 'addDep' | 'rmDep'; x: string; y: string }
  | { kind: 'edit'; x: string; add: string[]; remove: string[]; title: boolean }
  | { kind: 'claim' | 'claimNext' | 'unclaim' | 'done' | 'fail' | 'abandon'; x: string; actor: string; force: boolean };

const idArb = fc.constantFrom(...IDS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('addDep' as const, 'rmDep' as const), x: idArb, y: idArb }),
  fc.record({ kind: fc.constant('edit' as const), x: idArb, add: fc.subarray(IDS), remove: fc.subarray(IDS), title: fc.boolean() }),
  fc.record({
    kind: fc.constantFrom('claim' as const, 'claimNext' as const, 'unclaim' as const, 'done' as const, 'fail' as const, 'abandon' as const),
    x: idArb,
    actor: fc.constantFrom('alice', 'agent-1', 'agent-2'),
    force: fc.boolean(),
  }),
);

function runOp(g: Graph, op: Op): Plan<unknown> {
  const w = who('actor' in op ? { actor: op.actor } : {});
  switch (op.kind) {
    case 'addDep':
      return planAddDep(g, op.x, op.y, w);
    case 'rmDep':
      return planRmDep(g, op.x, op.y, w);
    case 'edit':
      return planEdit(g, op.x, { addAfter: op.add.filter((d) => d !== op.x), removeAfter: op.remove, ...(op.title ? { title: `T ${op.x}` } : {}) }, w);
    case 'claim':
      return planClaim(g, op.x, w, { force: op.force });
    case 'claimNext':
      return planClaimNext(g, w);
    case 'unclaim':
      return planUnclaim(g, op.x, w);
    case 'done':
      return planDone(g, op.x, w);
    case 'fail':
      return planFail(g, op.x, w);
    case 'abandon':
      return planAbandon(g, op.x, w);
  }
}

describe('property: invariants under random command sequences', () => {
  it('`before` mirrors `after` exactly, no unconfigured cycle appears, claim_epoch only grows and grows on every ownership change', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let g = new Graph(IDS.map((id) => task(id)));
        for (const op of ops) {
          let plan: Plan<unknown>;
          try {
            plan = runOp(g, op);
          } catch (e) {
            expect(e).toBeInstanceOf(WgError);
            continue; // a refusal changes nothing
          }
          const next = apply(g, plan.writes);
          for (const t of next.all()) {
            const before = g.get(t.id)!;
            const e0 = before.claim_epoch ?? 0;
            const e1 = t.claim_epoch ?? 0;
            expect(e1).toBeGreaterThanOrEqual(e0);
            if ((before.assigned ?? null) !== (t.assigned ?? null)) expect(e1).toBe(e0 + 1);
            // claim_epoch changes only together with a (re)claim/release
            if (e1 !== e0) expect(e1).toBe(e0 + 1);
          }
          g = next;
          // mirror invariant
          for (const t of g.all()) {
            for (const d of t.after ?? []) expect(g.get(d)!.before ?? [], `${d}.before lacks ${t.id}`).toContain(t.id);
            for (const b of t.before ?? []) expect(g.get(b)!.after ?? [], `${b}.after lacks ${t.id} (dangling before)`).toContain(t.id);
          }
          for (const c of g.cycleAnalysis().cycles) expect(c.configOwner, `unconfigured cycle ${c.members.join(',')}`).toBeDefined();
          // at most one holder per in-progress task, and in-progress tasks are held
          for (const t of g.all()) if (t.status === 'in-progress') expect(t.assigned).toBeTruthy();
          // terminal tasks never become ready
          for (const t of g.all()) if (isTerminal(t.status)) expect(isReady(g, t, NOW)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
