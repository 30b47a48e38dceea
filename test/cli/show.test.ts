/**
 * `wg show ID` (SPEC §6): the Rust tool's task page — metadata block, Description, Depends on
 * `id (status)`, Required by, Log `timestamp [actor] message`; --json is the task object with
 * after/before as [{id, title, status}].
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../helpers/project.js';
import { seedGraph } from '../helpers/files.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const seeded = [
  { id: 'design', title: 'Design it', status: 'done' },
  {
    id: 'build',
    title: 'Build the thing',
    description: 'Two\nlines',
    status: 'done',
    assigned: 'alice',
    claim_epoch: 1,
    agent: 'a1b2c3',
    model: 'claude:opus',
    created_at: '2026-01-01T00:00:00Z',
    started_at: '2026-01-01T01:00:00Z',
    completed_at: '2026-01-01T02:00:00Z',
    tags: ['api', 'backend'],
    after: ['design', 'ghost'],
    log: [
      { timestamp: '2026-01-01T01:00:00Z', actor: 'alice', message: 'Task claimed by alice' },
      { timestamp: '2026-01-01T01:30:00Z', message: 'a note without actor' },
    ],
    future_field: { kept: true },
  },
  { id: 'deploy', title: 'Deploy', after: ['build'] },
];

describe.concurrent('wg show', () => {
  it('renders the task page layout', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const r = await q.wg(['show', 'build']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'build',
        'Build the thing',
        '',
        'Status          done',
        'Assigned        alice (epoch 1)',
        'Agent identity  a1b2c3',
        'Model           claude:opus',
        'Created         2026-01-01T00:00:00Z',
        'Started         2026-01-01T01:00:00Z',
        'Completed       2026-01-01T02:00:00Z',
        'Tags            api, backend',
        '',
        'Description',
        '  Two',
        '  lines',
        '',
        'Depends on',
        '  design (done)',
        '  ghost (missing)',
        '',
        'Required by',
        '  deploy (open)',
        '',
        'Log',
        '  2026-01-01T01:00:00Z [alice] Task claimed by alice',
        '  2026-01-01T01:30:00Z a note without actor',
        '',
      ].join('\n'),
    );
  });

  it('--json is the task object with after/before as [{id,title,status}]', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const [build, design] = await Promise.all([q.wg(['show', 'build', '--json']), q.wg(['show', 'design', '--json'])]);
    const b = build.json<Record<string, unknown>>();
    expect(b).toMatchObject({ id: 'build', title: 'Build the thing', status: 'done', assigned: 'alice', tags: ['api', 'backend'], claim_epoch: 1, future_field: { kept: true } });
    expect(b.after).toEqual([
      { id: 'design', title: 'Design it', status: 'done' },
      { id: 'ghost', title: null, status: 'missing' },
    ]);
    expect(b.before).toEqual([{ id: 'deploy', title: 'Deploy', status: 'open' }]);
    expect(b.log).toEqual(seeded[1]!.log);
    const d = design.json<Record<string, unknown>>();
    expect(d.after).toEqual([]);
    expect(d.before).toEqual([{ id: 'build', title: 'Build the thing', status: 'done' }]);
  });

  it('empty sections are marked, and a live task shows its claim and log', async (ctx) => {
    const q = await tmp.project(ctx);
    for (const args of [
      ['add', 'Lonely task', '--id', 'lonely', '--paused'],
      ['add', 'Worked on', '--id', 'w', '--tag', 'x'],
      ['claim', 'w', '--actor', 'bob'],
      ['log', 'w', 'halfway there', '--actor', 'bob'],
    ]) {
      const r = await q.wg(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const [lonely, w] = await Promise.all([q.wg(['show', 'lonely']), q.wg(['show', 'w'])]);
    expect(lonely.stdout).toMatch(/^lonely\nLonely task\n\nStatus {2,}open \(paused\)\nCreated {2,}\S+Z\n\nDescription\n {2}\(no description\)\n\nDepends on\n {2}\(none\)\n\nRequired by\n {2}\(none\)\n\nLog\n {2}\S+Z \[tester\] .*\n$/);
    const lines = w.stdout.split('\n');
    const meta = lines.slice(3, lines.indexOf('Description') - 1);
    expect(meta.map((l) => l.split(/\s{2,}/)[0])).toEqual(['Status', 'Assigned', 'Created', 'Started', 'Tags']);
    expect(meta[0]).toMatch(/^Status\s+in-progress$/);
    expect(meta[1]).toMatch(/^Assigned\s+bob \(epoch 1\)$/);
    // values are aligned in one column
    expect(new Set(meta.map((l) => l.search(/(?<=\s{2})\S/))).size).toBe(1);
    const log = lines.slice(lines.indexOf('Log') + 1).filter(Boolean);
    expect(log).toHaveLength(3);
    expect(log[1]).toMatch(/^ {2}\S+Z \[bob\] Task claimed by bob$/);
    expect(log[2]).toMatch(/^ {2}\S+Z \[bob\] halfway there$/);
  });
});
