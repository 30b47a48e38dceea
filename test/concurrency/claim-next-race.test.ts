/**
 * 16 real processes race `wg claim --next`, on both stores: a task is never handed to two
 * claimants, and a process that gets nothing says so (exit 1). JSONL: the graph lock makes
 * pick-and-claim one step; PostgreSQL: FOR UPDATE SKIP LOCKED, contenders pass each other by.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STORES, storeProject, type StoreProject } from '../helpers/stores.js';
import { seedTask, strictParseGraph } from '../helpers/files.js';
import { Procs } from '../helpers/proc.js';

const RACERS = 16;

describe.each(STORES)('claim --next race (%s store)', (store) => {
  let project: StoreProject | undefined;
  const procs = new Procs();
  afterEach(async () => {
    await procs.killAll();
    await project?.cleanup();
    project = undefined;
  });

  it.each(store === 'jsonl' ? [5, 16, 24] : [5, 24])('claim_next_race_never_double_claims (%i ready tasks)', async (n) => {
    project = await storeProject(store);
    const p = project;
    const ready = Array.from({ length: n }, (_, i) => `ready-${String(i).padStart(2, '0')}`);
    // Decoys that are never claimable by --next: blocked, paused, already claimed, done.
    await p.seed([
      seedTask('gate'),
      ...ready.map((id, i) => seedTask(id, { priority: 10 + (i % 3) })),
      seedTask('blocked-1', { after: ['gate'], priority: 99 }),
      seedTask('paused-1', { paused: true, priority: 99 }),
      seedTask('held-1', { status: 'in-progress', assigned: 'someone-else', claim_epoch: 4, priority: 99 }),
      seedTask('done-1', { status: 'done', priority: 99 }),
    ]);
    // 'gate' is itself ready; claim it first so only the `ready` tasks are on offer.
    expect(p.run(['claim', 'gate', '--actor', 'gatekeeper']).code).toBe(0);
    const opsBefore = (await p.operations()).length;

    const racers = Array.from({ length: RACERS }, (_, k) => ({ actor: `agent-${k}`, proc: procs.wg(p.dir, ['claim', '--next', '--actor', `agent-${k}`, '--json']) }));
    const results = await Promise.all(racers.map((r) => r.proc.result));

    const claimedBy = new Map<string, string>();
    let losers = 0;
    results.forEach((res, k) => {
      const actor = racers[k]!.actor;
      const out = res.json<{ claimed: string | null; task?: { id: string; assigned: string; claim_epoch: number } }>();
      if (out.claimed === null) {
        expect(res.code, `${actor}: no claim must exit 1`).toBe(1);
        losers++;
        return;
      }
      expect(res.code, `${actor}: ${res.stderr}`).toBe(0);
      expect(claimedBy.has(out.claimed), `task ${out.claimed} claimed by ${claimedBy.get(out.claimed)} and ${actor}`).toBe(false);
      claimedBy.set(out.claimed, actor);
      expect(out.task!.assigned).toBe(actor);
      expect(out.task!.claim_epoch).toBe(1);
    });

    const winners = Math.min(n, RACERS);
    expect(claimedBy.size).toBe(winners);
    expect(losers).toBe(RACERS - winners);
    for (const id of claimedBy.keys()) expect(ready).toContain(id);

    const tasks = strictParseGraph(await p.graphText());
    for (const id of ready) {
      const t = tasks.get(id)!;
      const winner = claimedBy.get(id);
      if (winner === undefined) {
        // unclaimed leftovers (n > RACERS) are untouched
        expect(t.status).toBe('open');
        expect(t.assigned).toBeUndefined();
        expect(t.claim_epoch).toBeUndefined();
        continue;
      }
      expect(t.status).toBe('in-progress');
      expect(t.assigned).toBe(winner);
      expect(t.claim_epoch).toBe(1);
      expect(t.log!.filter((e) => e.message.startsWith('Task claimed by'))).toHaveLength(1);
    }
    // the graph holds no claim by a process that reported nothing
    const holders = [...tasks.values()].filter((t) => typeof t.assigned === 'string' && (t.assigned as string).startsWith('agent-'));
    expect(holders.map((t) => `${t.id}=${t.assigned as string}`).sort()).toEqual([...claimedBy].map(([id, a]) => `${id}=${a}`).sort());
    // decoys untouched
    expect(tasks.get('blocked-1')!.status).toBe('open');
    expect(tasks.get('blocked-1')!.assigned).toBeUndefined();
    expect(tasks.get('paused-1')!.assigned).toBeUndefined();
    expect(tasks.get('held-1')!.assigned).toBe('someone-else');
    expect(tasks.get('held-1')!.claim_epoch).toBe(4);
    expect(tasks.get('done-1')!.status).toBe('done');

    // one provenance line per successful claim, none for the empty-handed
    const ops = (await p.operations()).slice(opsBefore);
    expect(ops.map((o) => `${o.op} ${o.task_id ?? ''} ${o.actor ?? ''}`).sort()).toEqual([...claimedBy].map(([id, a]) => `claim ${id} ${a}`).sort());
  }, 120_000);
});
