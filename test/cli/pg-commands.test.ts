/**
 * Every command works on a PostgreSQL project or refuses in one line (issue 13). The agent-loop
 * and live-view commands used to read .wg/graph.jsonl and service/registry.json directly; on a
 * PostgreSQL project those are empty, so they answered about nothing ("no task 'x'"). Now they
 * read through the store (the graph, every host's registry), and the few that work on the JSONL
 * files only (archive, gc, messages, the live views) refuse: one `error:` line naming the store
 * and the way out, exit 2, nothing changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seedTask } from '../helpers/files.js';
import { storeProject, type StoreProject } from '../helpers/stores.js';

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
      ['msg', 'send', 'next', 'hello'],
      ['msg', 'list', 'next'],
      ['msg', 'read', 'next'],
      ['msg', 'poll', 'next'],
      ['archive', '--older-than', '0s'],
      ['archive', 'search', 'x'],
      ['archive', 'restore', 'base'],
      ['gc', '--dry-run'],
      ['gc'],
      ['tui'],
      ['serve'],
      ['watch', '--no-follow'],
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
});
