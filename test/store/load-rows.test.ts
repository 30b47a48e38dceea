/**
 * A full load (no usable graph index) validates every line whole but keeps only rows: the whole
 * tasks are dropped line by line (store.ts loadState, graph-file.ts parseGraph's `keep`), which
 * is what keeps a 10k-task dashboard's start-up peak low. Nothing a reader sees may change.
 */
import { closeSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/store/graph-file.js';
import { isPartial, toRow } from '../../src/store/graph-index.js';
import { pathsFor } from '../../src/store/paths.js';
import { JsonlStore, loadState, openGraph } from '../../src/store/store.js';
import { project } from '../helpers/project.js';

const line = (o: Record<string, unknown>): string => JSON.stringify(o);
const whole = {
  kind: 'task',
  id: 'a',
  title: 'Alpha',
  status: 'open',
  description: 'a long description',
  log: [{ timestamp: '2026-01-01T00:00:00Z', message: 'hello' }],
  after: [],
  tags: ['x'],
};

describe('a full load keeps rows only', () => {
  let p: ReturnType<typeof project> | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('parseGraph with keep = toRow: rows in file order, every line validated whole', () => {
    const text = [line(whole), '# a comment', line({ id: 'b', title: 'Beta', status: 'done', after: ['a'] })].join('\n');
    const file = parseGraph(text, 'graph.jsonl', toRow);
    expect(file.tasks.map((t) => t.id)).toEqual(['a', 'b']);
    expect(file.tasks.every(isPartial)).toBe(true);
    expect(file.tasks[0]).not.toHaveProperty('log');
    expect(file.tasks[0]).not.toHaveProperty('description');
    expect(file.tasks[0]).toMatchObject({ id: 'a', title: 'Alpha', status: 'open', tags: ['x'] });
    expect(file.lines.map((l) => l.id)).toEqual(['a', undefined, 'b']);
    // A field the row does not keep is still validated: a bad log entry fails the load.
    const bad = [line(whole), line({ ...whole, id: 'c', log: [{ timestamp: '2026-01-01T00:00:00Z' }] })].join('\n');
    expect(() => parseGraph(bad, 'graph.jsonl', toRow)).toThrow(/graph\.jsonl:2: .*message/);
  });

  it('loadState without an index: rows, rebuilt, and the same graph a full load gives', () => {
    p = project();
    const paths = pathsFor(p.wgDir);
    writeFileSync(paths.graph, [line(whole), line({ kind: 'task', id: 'b', title: 'Beta', status: 'open', after: ['a'] })].join('\n') + '\n');
    const { fd, stat } = openGraph(paths);
    try {
      const { state, rebuilt } = loadState(fd, stat, undefined);
      expect(rebuilt).toBe(true);
      const rows = state.lines.filter((l) => l !== null && typeof l === 'object');
      expect(rows.map((r) => r.id)).toEqual(['a', 'b']);
      expect(rows.every(isPartial)).toBe(true);
      expect(rows[0]).not.toHaveProperty('log');
      expect(state.acyclic).toBe(true);
    } finally {
      closeSync(fd);
    }
    // Whole tasks are still there on demand, as the file says.
    const g = new JsonlStore(paths).loadFast();
    expect(g.get('a')).toMatchObject({ description: 'a long description', log: [{ message: 'hello' }] });
    expect(g.dependents('a')).toEqual(['b']);
  });
});
