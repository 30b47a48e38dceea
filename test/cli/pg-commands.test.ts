/**
 * Every command works on a PostgreSQL project or refuses in one line (issue 13). The agent-loop
 * and live-view commands used to read .wg/graph.jsonl and service/registry.json directly; on a
 * PostgreSQL project those are empty, so they answered about nothing ("no task 'x'"). Now they
 * read through the store (the graph, every host's registry, the message queues), and the few that
 * work on the JSONL files only (archive, gc, the dashboards) refuse: one `error:` line naming the
 * store and the way out, exit 2, nothing changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seedTask } from '../helpers/files.js';
import { sql } from '../helpers/pg.js';
import { storeProject, type StoreProject } from '../helpers/stores.js';
import { safeKill, waitFor } from '../helpers/proc.js';
import { wgAsync, wgSpawn } from '../helpers/wg.js';

describe('commands on a PostgreSQL project', () => {
  const projects: StoreProject[] = [];
  afterEach(async () => {
    for (const p of projects.splice(0)) await p.cleanup();
  });

  it('read and agent-loop commands answer from the database; file-only ones refuse in one line, changing nothing', async () => {
    const pg = await storeProject('postgres');
    projects.push(pg);
    await pg.seed([
      seedTask('base', { status: 'done', assigned: 'agent-1', claim_epoch: 1, completed_at: '2026-01-01T01:00:00.000Z' }),
      seedTask('next', { after: ['base'], description: 'waits for base', priority: 3 }),
      seedTask('rev', { status: 'pending-validation', assigned: 'agent-2', claim_epoch: 1 }),
    ]);
    const ok = (args: string[]): string => {
      const r = pg.run(args);
      expect(r.code, `wg ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
      return r.stdout;
    };
    // Tasks that exist only in the database are found (the JSONL file of the project is empty).
    expect(JSON.parse(ok(['next', '--json']))).toMatchObject({ task: { id: 'next' } });
    expect(ok(['context', 'next'])).toContain('base');
    expect(ok(['cycles'])).toMatch(/no cycles/i);
    ok(['discover', '--json']);
    expect(ok(['checkpoint', 'next', '--list'])).toMatch(/next/);
    expect(JSON.parse(ok(['trace', 'export', 'base']))).toMatchObject({ task: { id: 'base' } });
    ok(['spend', '--json']);
    ok(['reap', '--dry-run']);
    expect(ok(['service', 'stop'])).toMatch(/not running/);
    // A human gate lands on the database row.
    expect(ok(['approve', 'rev'])).toMatch(/Approved 'rev'/);
    expect(await pg.graphText()).toMatch(/"id":"rev"[^\n]*"status":"done"/);

    const before = await pg.graphText();
    const refusals = [
      ['archive', '--older-than', '0s'],
      ['archive', 'search', 'x'],
      ['archive', 'restore', 'base'],
      ['gc', '--dry-run'],
      ['gc'],
      ['tui'],
      ['serve'],
    ];
    for (const args of refusals) {
      const r = pg.run(args);
      expect(r.code, `wg ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0], `wg ${args.join(' ')}`).toMatch(new RegExp(`^error: wg ${args[0]} works on the JSONL store only \\(.+\\); this project's store is PostgreSQL$`));
      expect(lines.slice(1).every((l) => l.startsWith('hint: ')), r.stderr).toBe(true);
      expect(r.stdout).toBe('');
    }
    expect(await pg.graphText()).toBe(before);
  }, 180_000);

  it('wg msg on PostgreSQL: ids per task without a gap under concurrent senders, cursors, and the fence', async () => {
    const pg = await storeProject('postgres');
    projects.push(pg);
    await pg.seed([seedTask('job', { status: 'in-progress', assigned: 'agent-7', claim_epoch: 2 }), seedTask('other')]);
    // 8 senders at once, as 8 processes: ids 1..8, each once, none lost.
    const sends = await Promise.all(Array.from({ length: 8 }, (_, i) => wgAsync(pg.dir, ['msg', 'send', 'job', `hello ${i}`, '--from', `user${i}`, '--json'])));
    for (const r of sends) expect(r.code, r.stderr).toBe(0);
    expect(sends.map((r) => (JSON.parse(r.stdout) as { message: { id: number } }).message.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const stored = await sql<{ id: number }>(pg.url!, `SELECT id FROM wg_messages WHERE task_id = 'job' ORDER BY id`);
    expect(stored.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The agent reads them (its cursor moves), then has nothing new; list shows who read what.
    const agentEnv = { WG_AGENT_ID: 'agent-7', WG_TASK_ID: 'job', WG_CLAIM_EPOCH: '2' };
    const poll = pg.run(['msg', 'poll', '--json'], agentEnv);
    expect(poll.code, poll.stderr).toBe(0);
    expect((JSON.parse(poll.stdout) as { unread: unknown[] }).unread).toHaveLength(8);
    const read = pg.run(['msg', 'read', '--json'], agentEnv);
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toHaveLength(8);
    expect(pg.run(['msg', 'poll'], agentEnv).code).toBe(1); // nothing new: exit 1
    const list = JSON.parse(pg.run(['msg', 'list', 'job', '--json']).stdout) as Array<{ id: number; read_by: string[] }>;
    expect(list.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(list.every((m) => m.read_by.includes('agent-7'))).toBe(true);
    // An agent whose claim moved (epoch 1, the task is at 2) cannot send: exit 3, nothing stored.
    const zombie = pg.run(['msg', 'send', 'other', 'stale'], { WG_AGENT_ID: 'agent-7', WG_TASK_ID: 'job', WG_CLAIM_EPOCH: '1' });
    expect(zombie.code, zombie.stderr).toBe(3);
    expect(await sql(pg.url!, `SELECT 1 FROM wg_messages WHERE task_id = 'other'`)).toHaveLength(0);
    // `wg context` shows the unread messages of another reader from the database.
    expect(pg.run(['context', 'job', '--agent', 'someone']).stdout).toContain('hello');
  }, 120_000);

  it('wg watch on PostgreSQL: every host\'s graph events from the database, a cursor that resumes, woken as writes commit', async () => {
    const pg = await storeProject('postgres');
    projects.push(pg);
    expect(pg.run(['add', 'First', '--id', 'first']).code).toBe(0);
    const all = pg.run(['watch', '--no-follow', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const events = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; task?: string; cursor: string });
    expect(events.map((e) => [e.name, e.task])).toEqual([['add_task', 'first']]);
    // From that cursor, a restarted watch prints what came after it only (here: from another "host").
    expect(pg.run(['add', 'Second', '--id', 'second'], { WG_HOST_ID: 'other-host' }).code).toBe(0);
    const after = pg.run(['watch', '--no-follow', '--json', '--since', events[0]!.cursor]);
    expect(after.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { task: string }).task)).toEqual(['second']);
    // Following: a write committed by another process shows up, woken by NOTIFY.
    const w = wgSpawn(pg.dir, ['watch', '--json']);
    try {
      let out = '';
      w.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      let err = '';
      w.child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await waitFor('the watch is listening', () => err.includes('watching'), 20_000);
      expect(pg.run(['add', 'Third', '--id', 'third']).code).toBe(0);
      await waitFor('the watch prints the new task', () => out.includes('"third"'), 20_000, 25, () => out + err);
      expect(out).not.toContain('"first"');
      w.child.kill('SIGINT');
      const r = await w.result;
      expect(r.stderr).toMatch(/resume: wg watch --since p1\.\d+/);
    } finally {
      safeKill(w.pid);
    }
  }, 120_000);
});
