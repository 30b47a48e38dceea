/**
 * Fencing on both stores, through the real `wg`: an agent whose claim moved (another holder, or
 * its own claim at a newer epoch) gets exit 3 `claim_lost` from every write it may make, and the
 * store is left exactly as it was — no row, no operation. The current epoch still writes.
 * (The JSONL store's messages and exit codes are also pinned in test/cli/errors.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seedTask } from '../helpers/files.js';
import { STORES, storeProject, type StoreProject } from '../helpers/stores.js';

describe.each(STORES)('claim lost (fencing) on the %s store', (store) => {
  let project: StoreProject | undefined;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
  });

  it('a zombie agent changes nothing; the current holder writes', async () => {
    project = await storeProject(store);
    const p = project;
    await p.seed([
      seedTask('t', { status: 'in-progress', assigned: 'agent-2', claim_epoch: 3, unknown_field: { kept: true } }),
      seedTask('mine', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 2 }),
    ]);
    const before = await p.graphText();
    const zombie = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 't', WG_CLAIM_EPOCH: '1' };
    for (const args of [['done', 't'], ['fail', 't', '--reason', 'x'], ['log', 't', 'still here'], ['artifact', 't', 'out.txt']]) {
      const r = p.run(args, zombie);
      expect(r.code, `wg ${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/^error: claim lost: task 't' is now held by agent-2 \(epoch 3\)$/m);
    }
    const stale = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 'mine', WG_CLAIM_EPOCH: '1' };
    const r = p.run(['done', 'mine'], stale);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^error: claim lost: task 'mine' is now held by agent-1 \(epoch 2\)$/m);
    expect(await p.graphText()).toBe(before);
    expect(await p.operations()).toEqual([]);

    const current = { ...stale, WG_CLAIM_EPOCH: '2' };
    expect(p.run(['log', 'mine', 'progress'], current).code).toBe(0);
    const done = p.run(['done', 'mine'], current);
    expect(done.code, done.stderr).toBe(0);
    const lines = (await p.graphText()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; unknown_field?: unknown });
    expect(lines.find((t) => t.id === 'mine')!.status).toBe('done');
    expect(lines.find((t) => t.id === 't')).toMatchObject({ status: 'in-progress', unknown_field: { kept: true } });
    expect((await p.operations()).map((o) => o.op)).toEqual(['log', 'done']);
  });
});
