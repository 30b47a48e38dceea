/**
 * 32 real `wg` processes mutate one graph at the same time: adds, log entries, claims and
 * completions, on both stores (JSONL: the flock serialises them; PostgreSQL: version-checked
 * transactions re-run on a lost race). Nothing may be lost, duplicated or torn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STORES, storeProject, type StoreProject } from '../helpers/stores.js';
import { graphTemps, logMessageCounts, seedTask, strictParseGraph } from '../helpers/files.js';
import { Procs } from '../helpers/proc.js';

describe.each(STORES)('concurrent writers (%s store)', (store) => {
  let project: StoreProject | undefined;
  const procs = new Procs();
  afterEach(async () => {
    await procs.killAll();
    await project?.cleanup();
    project = undefined;
  });

  it('mixed_writers_lose_nothing', async () => {
    project = await storeProject(store);
    const p = project;
    const ROUNDS = 2; // two storms of 32, the second on the graph the first one left
    const shared = ['shared-a', 'shared-b'];
    const claimTargets = Array.from({ length: 6 * ROUNDS }, (_, i) => `claim-me-${i}`);
    const doneTargets = Array.from({ length: 6 * ROUNDS }, (_, i) => `finish-me-${i}`);
    await p.seed([...shared, ...claimTargets, ...doneTargets].map((id) => seedTask(id)));
    const opsBefore = (await p.operations()).length;

    type Kind = 'add' | 'add-title' | 'log' | 'claim' | 'done';
    const expectedOps: string[] = [];
    const addedIds: string[] = [];
    const messages: Array<{ task: string; message: string }> = [];

    for (let round = 0; round < ROUNDS; round++) {
      const jobs: Array<{ kind: Kind; args: string[]; target?: string; actor?: string; message?: string }> = [];
      for (let i = 0; i < 8; i++) jobs.push({ kind: 'add', args: ['add', `Unique task ${round}-${i}`, '--id', `uniq-${round}-${i}`, '--json'] });
      // Same title, no --id: the ids are derived under the lock, so the collision suffixes
      // (-2, -3, …) must come out distinct.
      for (let i = 0; i < 4; i++) jobs.push({ kind: 'add-title', args: ['add', `Same title round ${round}`, '--json'] });
      for (let i = 0; i < 8; i++) {
        const task = shared[i % 2]!;
        const message = `message r${round} #${i} to ${task}`;
        jobs.push({ kind: 'log', args: ['log', task, message, '--actor', `logger-${i}`, '--json'], target: task, message });
      }
      for (let i = 0; i < 6; i++) {
        const target = claimTargets[round * 6 + i]!;
        jobs.push({ kind: 'claim', args: ['claim', target, '--actor', `claimer-${round}-${i}`, '--json'], target, actor: `claimer-${round}-${i}` });
      }
      for (let i = 0; i < 6; i++) {
        const target = doneTargets[round * 6 + i]!;
        jobs.push({ kind: 'done', args: ['done', target, '--json'], target });
      }
      expect(jobs).toHaveLength(32);
      // interleave the kinds so they really start together
      jobs.sort(() => Math.random() - 0.5);

      const running = jobs.map((j) => ({ job: j, proc: procs.wg(p.dir, j.args) }));
      const results = await Promise.all(running.map((r) => r.proc.result));

      results.forEach((res, i) => {
        const { job } = running[i]!;
        expect(res.code, `wg ${job.args.join(' ')} failed: ${res.stderr}`).toBe(0);
        const out = res.json<Record<string, unknown>>();
        switch (job.kind) {
          case 'add':
          case 'add-title':
            addedIds.push(out.id as string);
            expectedOps.push(`add_task ${out.id as string}`);
            break;
          case 'log':
            messages.push({ task: job.target!, message: job.message! });
            expectedOps.push(`log ${job.target!}`);
            break;
          case 'claim':
            expect(out.claimed).toBe(job.target);
            expectedOps.push(`claim ${job.target!}`);
            break;
          case 'done':
            expectedOps.push(`done ${job.target!}`);
            break;
        }
      });
    }

    const tasks = strictParseGraph(await p.graphText()); // throws on a torn line or a duplicate id
    // every add present exactly once, with the id its process reported
    expect(new Set(addedIds).size).toBe(addedIds.length);
    for (const id of addedIds) expect(tasks.has(id), `added task ${id} is missing`).toBe(true);
    for (let round = 0; round < ROUNDS; round++) {
      const sameTitle = [...tasks.values()].filter((t) => t.title === `Same title round ${round}`).map((t) => t.id);
      expect(sameTitle).toHaveLength(4);
    }
    expect(tasks.size).toBe(shared.length + claimTargets.length + doneTargets.length + addedIds.length);

    // every log message present exactly once, on the task it was written to
    const counts = logMessageCounts(tasks);
    for (const { task, message } of messages) {
      expect(counts.get(message), `log message '${message}'`).toBe(1);
      expect(tasks.get(task)!.log!.some((e) => e.message === message)).toBe(true);
    }

    // every claim and every done reflected
    for (let i = 0; i < claimTargets.length; i++) {
      const t = tasks.get(claimTargets[i]!)!;
      expect(t.status).toBe('in-progress');
      expect(t.assigned).toBe(`claimer-${Math.floor(i / 6)}-${i % 6}`);
      expect(t.claim_epoch).toBe(1);
    }
    for (const id of doneTargets) {
      const t = tasks.get(id)!;
      expect(t.status).toBe('done');
      expect(typeof t.completed_at).toBe('string');
    }
    // untouched seeded tasks keep their single seed log entry plus exactly the logged messages
    for (const id of shared) expect(tasks.get(id)!.log).toHaveLength(1 + messages.filter((m) => m.task === id).length);

    // provenance: exactly one operations line per successful mutating command
    const ops = (await p.operations()).slice(opsBefore);
    expect(ops).toHaveLength(32 * ROUNDS);
    expect(ops.map((o) => `${o.op} ${o.task_id ?? ''}`).sort()).toEqual([...expectedOps].sort());

    expect(graphTemps(p.wgDir)).toEqual([]);
  }, 150_000);
});
