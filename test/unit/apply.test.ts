/**
 * The one apply path (src/apply.ts), the plan renderer (src/render/plan.ts) and the settings
 * resolution (src/settings.ts), with an in-memory store and a recording killer: write → kill →
 * kick, in that order; a failed plan changes and kills nothing; the dry run applies nothing.
 */
import { describe, expect, it } from 'vitest';
import { applyPlan, previewPlan, type ApplyDeps, type PlanStore } from '../../src/apply.js';
import { parseConfig } from '../../src/config.js';
import { WgError } from '../../src/core/errors.js';
import type { Graph } from '../../src/core/graph.js';
import type { Kill, Plan } from '../../src/core/plan.js';
import { planAgentKill, planKill } from '../../src/core/plans/requeue.js';
import { planRetry } from '../../src/core/plans/retry.js';
import { describePlan, planJson, renderPlan } from '../../src/render/plan.js';
import { hardTimeoutMs, resolveSettings } from '../../src/settings.js';
import { apply as applyWrites, graph, task, who } from './fixtures.js';

function harness(initial: Graph) {
  const events: string[] = [];
  let g = initial;
  const store: PlanStore = {
    async mutate(plan, _ctx) {
      events.push('lock');
      const p = plan(g);
      if (!p.writes.length) return { result: p.result, written: false };
      g = applyWrites(g, p.writes);
      events.push(`write ${p.writes.map((w) => w.id).join(',')}`);
      return { result: p.result, written: true };
    },
    load: () => ({ graph: g }),
  };
  const deps: ApplyDeps = {
    store,
    killer: {
      async kill(kills: readonly Kill[]) {
        events.push(`kill ${kills.map((k) => k.agent).join(',')}`);
        return kills.map((k) => ({ id: k.agent, wasAlive: true }));
      },
    },
    kick: () => events.push('kick'),
  };
  return { deps, events, graph: () => g };
}

const live = new Map([['agent-1', { alive: true }]]);

describe('applyPlan: write → kill → kick', () => {
  it('a retry of a task with a live agent: the write, then the kill, then the kick', async () => {
    const h = harness(graph(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 })));
    const r = await applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }));
    expect(h.events).toEqual(['lock', 'write x', 'kill agent-1', 'kick']);
    expect(r.written).toBe(true);
    expect(r.killed).toEqual([{ id: 'agent-1', wasAlive: true }]);
    expect(h.graph().get('x')).toMatchObject({ status: 'open', claim_epoch: 2 });
  });

  it('nothing written and nothing killed: no kick', async () => {
    const h = harness(graph(task('x')));
    const r = await applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }));
    expect(r.result.noop).toMatch(/already open/);
    expect(h.events).toEqual(['lock']);
  });

  it('a refused plan throws before anything is written or killed', async () => {
    const h = harness(graph(task('x', { status: 'done' })));
    await expect(applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }))).rejects.toBeInstanceOf(WgError);
    expect(h.events).toEqual(['lock']);
  });

  it('a plan that needs no graph (agents kill) never takes the lock; a precomputed plan may not write', async () => {
    const h = harness(graph(task('x')));
    await applyPlan(h.deps, who(), planAgentKill('agent-1', true, false));
    expect(h.events).toEqual(['kill agent-1', 'kick']);
    const writing: Plan<null> = { writes: [task('x')], ops: [], result: null };
    await expect(applyPlan(h.deps, who(), writing)).rejects.toThrow(/cannot write/);
  });

  it('previewPlan computes the same plan and applies nothing', async () => {
    const h = harness(graph(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 })));
    const { plan } = previewPlan(h.deps.store, (g) => planKill(g, 'agent-1', 'x', { force: true }, who()));
    expect(h.events).toEqual([]);
    expect(plan.kills).toEqual([{ agent: 'agent-1', reason: 'killed by wg kill', force: true }]);
    expect(plan.writes[0]).toMatchObject({ id: 'x', status: 'open', paused: true, claim_epoch: 2 });
  });
});

describe('after the commit, the change stands (issue 14)', () => {
  const inProgress = () => graph(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }));

  it('the kills of a writing plan are recorded under the lock before the commit, and cleared once done', async () => {
    const h = harness(inProgress());
    h.deps.pending = (kills) => {
      h.events.push(`record ${kills.map((k) => k.agent).join(',')}`);
      return { clear: () => h.events.push('clear') };
    };
    const r = await applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }));
    expect(h.events).toEqual(['lock', 'record agent-1', 'write x', 'kill agent-1', 'clear', 'kick']);
    expect(r.warnings).toEqual([]);
  });

  it('a kill that fails after the commit is a warning, not an error; its record stays for the next command', async () => {
    const h = harness(inProgress());
    h.deps.pending = () => ({ clear: () => h.events.push('clear') });
    h.deps.killer = {
      async kill() {
        throw new Error('ENOSPC: no space left on device');
      },
    };
    const r = await applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }));
    expect(r.written).toBe(true);
    expect(r.warnings).toEqual([expect.stringMatching(/^the change was saved, but agent-1 could not be stopped: ENOSPC/)]);
    expect(h.events).toEqual(['lock', 'write x', 'kick']);
    expect(h.graph().get('x')).toMatchObject({ status: 'open', claim_epoch: 2 });
  });

  it('a write that fails clears the record; a kill that fails without a write is an error', async () => {
    const h = harness(inProgress());
    h.deps.pending = () => ({ clear: () => h.events.push('clear') });
    h.deps.store = { ...h.deps.store, mutate: async (plan) => (plan(h.graph()), Promise.reject(new Error('EROFS'))) };
    await expect(applyPlan(h.deps, who(), (g) => planRetry(g, 'x', live, who(), { debounceMs: 0 }))).rejects.toThrow('EROFS');
    expect(h.events).toEqual(['clear']);
    const k = harness(inProgress());
    k.deps.killer = {
      async kill() {
        throw new Error('registry unreadable');
      },
    };
    await expect(applyPlan(k.deps, who(), planAgentKill('agent-1', true, false))).rejects.toThrow('registry unreadable');
  });
});

describe('the plan renderer', () => {
  const g = graph(task('x', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1, retry_count: 1 }), task('y'));
  const plan = planRetry(g, 'x', live, who(), { debounceMs: 0, reason: 'stuck' });

  it('summarizes each write (status, claim, other fields, log) and each kill', () => {
    const v = describePlan(g, plan);
    expect(v.changes).toEqual([
      {
        id: 'x',
        status: { from: 'in-progress', to: 'open' },
        claim: { from: 'agent-1', to: null, epoch: { from: 1, to: 2 } },
        fields: { retry_count: [1, 2] },
        log: ['Retry requested from in-progress (attempt 3); killing agent-1 — reason: stuck'],
      },
    ]);
    expect(v.kills).toEqual([{ agent: 'agent-1', reason: 'killed by wg retry x' }]);
    expect(renderPlan(v)).toEqual([
      '  x  in-progress → open  releases agent-1 (epoch 1 → 2)  retry_count 1 → 2',
      '      log: Retry requested from in-progress (attempt 3); killing agent-1 — reason: stuck',
      '  kill agent-1: SIGTERM its process group, SIGKILL after kill_grace (killed by wg retry x)',
    ]);
    expect(renderPlan({ changes: [], kills: [], ops: [] })).toEqual(['  nothing to change']);
  });

  it('the JSON form is plain data: it survives a JSON round trip and carries the exact writes', () => {
    const j = planJson(g, plan);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    expect(j.writes).toEqual(plan.writes);
  });
});

describe('resolveSettings', () => {
  it('every default, durations in ms, max_retries defaulted, agency and executors', () => {
    const s = resolveSettings(parseConfig('', 'config.toml'));
    expect(s.dispatcher).toMatchObject({ maxAgents: 4, pollIntervalMs: 5000, executor: 'claude', agentTimeoutMs: 1_800_000, heartbeatTimeoutMs: 60_000, killGraceMs: 5000, retryDebounceMs: 10_000, settlingDelayMs: 500, maxRetries: 3, paused: false });
    expect(s.dispatcher.model).toBeUndefined();
    expect(s.agency).toEqual({ autoEvaluate: false, evalGateThreshold: 0.7, maxEvalRescues: 3, evaluator: undefined, evaluatorModel: undefined, evaluatorTimeoutMs: 300_000 });
    expect(s.executors).toEqual({});
  });

  it('config values, then the service overrides on top', () => {
    const c = parseConfig('[dispatcher]\nmax_agents = 2\nmax_retries = 0\nexecutor = "shell"\nmodel = "m1"\n[agency]\nevaluator_timeout = "2s"\n', 'config.toml');
    expect(resolveSettings(c).dispatcher).toMatchObject({ maxAgents: 2, maxRetries: 0, executor: 'shell', model: 'm1' });
    const o = resolveSettings(c, { max_agents: 7, poll_interval_ms: 250, executor: 'codex', model: 'm2' });
    expect(o.dispatcher).toMatchObject({ maxAgents: 7, pollIntervalMs: 250, executor: 'codex', model: 'm2', maxRetries: 0 });
    expect(o.agency.evaluatorTimeoutMs).toBe(2000);
    expect(o.overrides).toEqual({ max_agents: 7, poll_interval_ms: 250, executor: 'codex', model: 'm2' });
  });

  it('the hard timeout: the task’s own timeout, else agent_timeout', () => {
    const d = { agentTimeoutMs: 1_800_000 };
    expect(hardTimeoutMs(task('x', { timeout: '90s' }), d)).toBe(90_000);
    expect(hardTimeoutMs(task('x'), d)).toBe(1_800_000);
    expect(hardTimeoutMs(undefined, d)).toBe(1_800_000);
    expect(hardTimeoutMs(task('x', { timeout: 'soon' }), d)).toBe(1_800_000);
  });
});
