/**
 * The same `--dry-run` on every recovery command (issue 8): retry, reset, kill, agents kill,
 * sweep, recover, requeue, unclaim. Each dry run (human and --json) changes no byte of
 * graph.jsonl or registry.json and kills nothing; then the real run does exactly what the plan
 * said — the same task lines (log timestamps aside), the same agents killed, nothing else.
 * Built `wg` as a subprocess; real processes as the "agents" (no service).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { recoveryProject, type RecoveryProject } from '../helpers/project.js';
import { deadPid, groupMembers, processRunning, waitFor } from '../helpers/proc.js';

interface PlanJson {
  changes: Array<{ id: string; status: { from: string | null; to: string }; claim?: { from: string | null; to: string | null; epoch: { from: number; to: number } }; log: string[] }>;
  kills: Array<{ agent: string; reason: string; force?: boolean }>;
  ops: Array<{ op: string }>;
  writes: Array<Record<string, unknown> & { id: string; log?: Array<{ timestamp: string; message: string }> }>;
}

/** A task line without the parts that depend on the moment it was written. */
const stable = (t: Record<string, unknown>): Record<string, unknown> => {
  const { log, ...rest } = t as { log?: Array<Record<string, unknown>> };
  return { ...rest, log: (log ?? []).map(({ timestamp: _t, ...e }) => e) };
};

describe('--dry-run of every recovery command', () => {
  let p: RecoveryProject | undefined;
  afterEach(async () => {
    await p?.cleanup();
    p = undefined;
  });

  const registryText = (): string | undefined => (existsSync(p!.registryPath) ? readFileSync(p!.registryPath, 'utf8') : undefined);

  /**
   * Runs `args --dry-run` (human, then --json): nothing changes. Then `real` (default: args):
   * every planned write is in the graph as planned, every other line is untouched, and the
   * agents the plan kills are dead in the registry. Returns the plan and the real run's JSON.
   */
  async function dryThenReal(args: string[], real: string[] = args): Promise<{ plan: PlanJson; out: Record<string, unknown> }> {
    const graphBefore = p!.readGraph();
    const regBefore = registryText();
    const human = p!.run([...args, '--dry-run']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Dry run — nothing was changed. The plan:');
    const dry = p!.run([...args, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const out = dry.json<{ dry_run: boolean; plan: PlanJson }>();
    expect(out.dry_run).toBe(true);
    const plan = out.plan;
    expect(p!.readGraph()).toBe(graphBefore);
    expect(registryText()).toBe(regBefore);
    // The human form names every changed task and every kill.
    for (const c of plan.changes) expect(human.stdout).toMatch(new RegExp(`^  ${c.id.replace(/[.]/g, '\\.')} `, 'm'));
    for (const k of plan.kills) expect(human.stdout).toContain(`kill ${k.agent}: `);

    const keep = new Map(p!.tasks().filter((t) => !plan.writes.some((w) => w.id === t.id)).map((t) => [t.id, p!.line(t.id)]));
    const r = p!.run([...real, '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const w of plan.writes) expect(stable(p!.task(w.id)), w.id).toEqual(stable(w));
    for (const [id, line] of keep) expect(p!.line(id), id).toBe(line);
    const agents = p!.agents();
    for (const k of plan.kills) expect(agents[k.agent]?.status, k.agent).toBe('dead');
    return { plan, out: r.json<Record<string, unknown>>() };
  }

  it('retry: the task re-queued, its live agent killed — after the dry run, the real run does that', async () => {
    p = recoveryProject();
    const agent = p.liveProcess();
    p.seed([{ id: 'x', status: 'in-progress', assigned: 'agent-1', claim_epoch: 2, retry_count: 1 }, { id: 'other' }]);
    p.writeRegistry([{ id: 'agent-1', task_id: 'x', pid: agent.pid, pgid: agent.pgid, proc_start: agent.procStart, claim_epoch: 2 }]);

    const { plan, out } = await dryThenReal(['retry', 'x', '--reason', 'stuck']);
    expect(plan.changes).toEqual([expect.objectContaining({ id: 'x', status: { from: 'in-progress', to: 'open' }, claim: { from: 'agent-1', to: null, epoch: { from: 2, to: 3 } } })]);
    expect(plan.kills).toEqual([{ agent: 'agent-1', reason: 'killed by wg retry x' }]);
    expect(out.killed).toEqual(['agent-1']);
    await waitFor('the agent process group to be gone', () => groupMembers(agent.pgid).length === 0, 5_000);
  });

  it('reset: the closure reopened, the live agent in it killed', async () => {
    p = recoveryProject();
    const mid = p.liveProcess();
    p.seed([
      { id: 'root', status: 'failed', failure_reason: 'x', retry_count: 2 },
      { id: 'mid', after: ['root'], status: 'in-progress', assigned: 'agent-2', claim_epoch: 1 },
      { id: 'leaf', after: ['mid'], status: 'done', assigned: 'alice', claim_epoch: 1 },
      { id: 'other' },
    ]);
    p.writeRegistry([{ id: 'agent-2', task_id: 'mid', pid: mid.pid, pgid: mid.pgid, proc_start: mid.procStart }]);

    const { plan, out } = await dryThenReal(['reset', 'root'], ['reset', 'root', '--yes']);
    expect(plan.changes.map((c) => [c.id, c.status.to])).toEqual([['root', 'open'], ['mid', 'open'], ['leaf', 'open']]);
    expect(plan.kills.map((k) => k.agent)).toEqual(['agent-2']);
    expect(out.killed).toEqual(['agent-2']);
    await waitFor('agent-2 to be gone', () => groupMembers(mid.pgid).length === 0, 5_000);
  });

  it('kill: the task released and paused, the agent killed (--force: at once)', async () => {
    p = recoveryProject();
    const agent = p.liveProcess();
    p.seed([{ id: 'x', status: 'in-progress', assigned: 'agent-4', claim_epoch: 1 }]);
    p.writeRegistry([{ id: 'agent-4', task_id: 'x', pid: agent.pid, pgid: agent.pgid, proc_start: agent.procStart }]);

    const { plan, out } = await dryThenReal(['kill', 'agent-4', '--force']);
    expect(plan.changes).toEqual([expect.objectContaining({ id: 'x', status: { from: 'in-progress', to: 'open' } })]);
    expect(plan.writes[0]).toMatchObject({ paused: true });
    expect(plan.kills).toEqual([{ agent: 'agent-4', reason: 'killed by wg kill', force: true }]);
    expect(out).toMatchObject({ agent: 'agent-4', was_alive: true });
    await waitFor('agent-4 to be gone', () => groupMembers(agent.pgid).length === 0, 5_000);
  });

  it('agents kill: no task changes, the one agent killed; a dead agent: an empty plan', async () => {
    p = recoveryProject();
    const agent = p.liveProcess();
    const gone = deadPid();
    p.seed([{ id: 'x', status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }, { id: 'y', status: 'in-progress', assigned: 'agent-2', claim_epoch: 1 }]);
    p.writeRegistry([
      { id: 'agent-1', task_id: 'x', pid: agent.pid, pgid: agent.pgid, proc_start: agent.procStart },
      { id: 'agent-2', task_id: 'y', pid: gone, pgid: gone },
    ]);

    const dead = p.run(['agents', 'kill', 'agent-2', '--dry-run', '--json']);
    expect(dead.code, dead.stderr).toBe(0);
    expect(dead.json<{ plan: PlanJson }>().plan).toMatchObject({ changes: [], kills: [] });
    expect(p.run(['agents', 'kill', 'agent-2', '--dry-run']).stdout).toContain('nothing to change');

    const { plan, out } = await dryThenReal(['agents', 'kill', 'agent-1']);
    expect(plan.changes).toEqual([]);
    expect(plan.kills).toEqual([{ agent: 'agent-1', reason: 'killed by wg agents kill' }]);
    expect(out).toMatchObject({ agent: 'agent-1', killed: true });
    await waitFor('agent-1 to be gone', () => groupMembers(agent.pgid).length === 0, 5_000);
  });

  it('sweep: the stale claims of dead and unknown agents cleared; a live agent untouched', async () => {
    p = recoveryProject();
    const live = p.liveProcess();
    const gone = deadPid();
    p.seed([
      { id: 'a', status: 'open', assigned: 'agent-1', claim_epoch: 1 },
      { id: 'b', status: 'in-progress', assigned: 'agent-9', claim_epoch: 3 },
      { id: 'c', status: 'in-progress', assigned: 'agent-3', claim_epoch: 1 },
    ]);
    p.writeRegistry([
      { id: 'agent-1', task_id: 'a', pid: gone, pgid: gone },
      { id: 'agent-3', task_id: 'c', pid: live.pid, pgid: live.pgid, proc_start: live.procStart },
    ]);

    const { plan } = await dryThenReal(['sweep']);
    expect(plan.changes.map((c) => c.id)).toEqual(['a', 'b']);
    expect(plan.kills).toEqual([]);
    expect(processRunning(live.pid)).toBe(true);
  });

  it('recover: --dry-run wins over --yes; without --yes it is the dry run; --yes applies the same plan', async () => {
    p = recoveryProject();
    p.seed([
      { id: 'f1', status: 'failed', failure_reason: 'boom', assigned: 'agent-1', claim_epoch: 2 },
      { id: 'f2', status: 'failed', failure_reason: 'boom' },
      { id: '.evaluate-f1', after: ['f1'], status: 'failed' },
      { id: 'ok', status: 'done' },
    ]);
    const graphBefore = p.readGraph();
    const noYes = p.run(['recover', '--json']);
    expect(noYes.code, noYes.stderr).toBe(0);
    expect(noYes.json()).toMatchObject({ dry_run: true, recovered: ['f1', 'f2'], abandoned: ['.evaluate-f1'] });
    expect(p.readGraph()).toBe(graphBefore);
    const human = p.run(['recover']);
    expect(human.stdout).toContain('Would re-queue 2 task(s): f1, f2');
    expect(human.stdout).toContain('Run again with --yes to apply.');

    const { plan, out } = await dryThenReal(['recover', '--yes'], ['recover', '--yes']);
    expect(plan.changes.map((c) => [c.id, c.status.to])).toEqual([['f1', 'open'], ['.evaluate-f1', 'abandoned'], ['f2', 'open']]);
    expect(out).toMatchObject({ dry_run: false, recovered: ['f1', 'f2'] });
  });

  it('requeue and unclaim: the claim released, nothing killed', async () => {
    p = recoveryProject();
    p.seed([
      { id: 'x', status: 'in-progress', assigned: 'alice', claim_epoch: 4, started_at: '2026-01-01T00:00:00Z' },
      { id: 'y', status: 'in-progress', assigned: 'bob', claim_epoch: 1 },
    ]);
    const rq = await dryThenReal(['requeue', 'x', '--reason', 'blocked on review']);
    expect(rq.plan.changes).toEqual([expect.objectContaining({ id: 'x', status: { from: 'in-progress', to: 'open' }, claim: { from: 'alice', to: null, epoch: { from: 4, to: 5 } } })]);
    expect(rq.plan.kills).toEqual([]);
    const un = await dryThenReal(['unclaim', 'y']);
    expect(un.plan.changes).toEqual([expect.objectContaining({ id: 'y', claim: { from: 'bob', to: null, epoch: { from: 1, to: 2 } } })]);
    // A refusal is the same refusal in a dry run: exit 1, nothing printed as a plan.
    const bad = p.run(['requeue', 'x', '--reason', 'again', '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: task 'x' is open — cannot requeue it/);
  });
});
