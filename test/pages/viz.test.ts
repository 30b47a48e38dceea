/**
 * `wg viz` (SPEC §6, upstream §6.3): the graph as an ASCII forest — status, assignee and age
 * per task; fan-in drawn once and referenced (↑); system (dot) tasks and finished work hidden
 * unless --all, with the hidden ones counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph.js';
import type { Task } from '../../src/core/task.js';
import { renderVizText, vizLayout } from '../../src/render/viz.js';
import { tempDirsPerTest } from '../helpers/project.js';
import { seedGraph } from '../helpers/files.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const NOW = new Date('2026-03-20T12:00:00.000Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;
const t = (id: string, patch: Partial<Task> = {}): Task => ({ kind: 'task', id, title: `Title of ${id}`, status: 'open', priority: 10, ...patch });
const draw = (tasks: Task[], all = false): string[] =>
  renderVizText(vizLayout(new Graph(tasks), { includeSystem: all, includeFinished: all }), { now: NOW, color: false });

describe('viz layout (pure)', () => {
  it('draws a diamond as a tree with the fan-in task drawn once, with status, assignee and age', () => {
    const lines = draw([
      t('design', { status: 'in-progress', assigned: 'alice', created_at: ago(60 * MIN), started_at: ago(3 * MIN) }),
      t('build', { after: ['design'], created_at: ago(50 * MIN) }),
      t('docs', { after: ['design'], created_at: ago(40 * MIN) }),
      t('deploy', { after: ['build', 'docs'], created_at: ago(2 * 60 * MIN) }),
    ]);
    expect(lines).toEqual([
      'design  (in-progress · alice) 3m',
      '├→ build  (open) 50m',
      '│  └→ deploy  (open) 2h',
      '└→ docs  (open) 40m',
      '   └→ deploy  ↑ (drawn above)',
    ]);
  });

  it('orders roots by creation time, children by id, and marks paused tasks', () => {
    const lines = draw([
      t('late', { created_at: ago(1 * MIN) }),
      t('early', { created_at: ago(10 * MIN) }),
      t('zeta', { after: ['early'], paused: true }),
      t('alpha', { after: ['early'], status: 'done', completed_at: ago(5 * MIN) }),
    ]);
    expect(lines).toEqual(['early  (open) 10m', '├→ alpha  (done) 5m', '└→ ‖ zeta  (open)', 'late  (open) 1m']);
  });

  it('hides system tasks as annotations on their parent, and finished groups, unless --all', () => {
    const tasks = [
      t('old', { status: 'done' }),
      t('old-child', { status: 'done', after: ['old'] }),
      t('gone', { status: 'abandoned' }),
      t('live', {}),
      t('.assign-live', { status: 'open' }),
      t('.evaluate-live', { status: 'done' }),
    ];
    expect(draw(tasks)).toEqual(['live  (open) [⊞ assigning]', '(3 finished tasks, 2 system tasks hidden; --all shows them)']);
    expect(draw(tasks, true)).toEqual([
      'old  (done)',
      '└→ old-child  (done)',
      'gone  (abandoned)',
      'live  (open)',
      '.assign-live  (open)',
      '.evaluate-live  (done)',
    ]);
    expect(draw([t('a', { status: 'done' })])).toEqual(['Nothing unfinished.', '(1 finished task hidden; --all shows them)']);
    expect(draw([])).toEqual(['No tasks.']);
  });

  it('keeps a finished task that belongs to a group with unfinished work', () => {
    expect(draw([t('a', { status: 'done' }), t('b', { after: ['a'] })])).toEqual(['a  (done)', '└→ b  (open)']);
  });

  it('draws a dependency cycle (no root) once, and survives a 5000-task chain', () => {
    expect(draw([t('a', { after: ['b'] }), t('b', { after: ['a'] })])).toEqual(['a  (open)', '└→ b  (open)', '   └→ a  ↑ (drawn above)']);
    const chain = Array.from({ length: 5000 }, (_, i) => t(`t${i}`, i ? { after: [`t${i - 1}`] } : {}));
    const layout = vizLayout(new Graph(chain), { includeSystem: false, includeFinished: false });
    expect(layout.rows).toHaveLength(5000);
    expect(layout.rows[4999]!.depth).toBe(4999);
  });

  it('colours only when asked', () => {
    const layout = vizLayout(new Graph([t('a', { status: 'done' }), t('b', { after: ['a'] })]), { includeSystem: false, includeFinished: false });
    expect(renderVizText(layout, { now: NOW, color: true }).join('\n')).toContain('\x1b[32m(done)\x1b[0m');
  });
});

describe.concurrent('wg viz (CLI)', () => {
  const seeded = [
    { id: 'design', status: 'in-progress', assigned: 'alice', started_at: '2026-01-01T00:00:00Z' },
    { id: 'build', after: ['design'] },
    { id: '.evaluate-build', after: ['build'] },
    { id: 'finished', status: 'done' },
  ];

  it('draws the tree with ages, hides system and finished tasks, never colours a pipe', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const r = await q.wg(['viz']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('\x1b[');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^design {2}\(in-progress · alice\) \d+d$/);
    expect(lines.slice(1)).toEqual(['└→ build  (open) [∴ evaluating]', '(1 finished task, 1 system task hidden; --all shows them)']);
  });

  it('--all shows everything; --json gives the nodes', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const all = await q.wg(['viz', '--all']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('   └→ .evaluate-build  (open)\n');
    expect(all.stdout).toContain('finished  (done)\n');
    const j = await q.wg(['viz', '--json']);
    const body = j.json<{ nodes: Array<{ id: string; depth: number; assigned: string | null; age_ms: number | null; annotations: string[] }>; hidden: unknown }>();
    expect(body.nodes.map((n) => [n.id, n.depth, n.assigned, n.annotations])).toEqual([
      ['design', 0, 'alice', []],
      ['build', 1, null, ['[∴ evaluating]']],
    ]);
    expect(body.nodes[0]!.age_ms).toBeGreaterThan(0);
    expect(body.hidden).toEqual({ system: 1, finished: 1 });
  });
});
