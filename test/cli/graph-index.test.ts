/**
 * The graph index (.wg/cache/graph-index.json): the hot commands read rows from it instead of
 * parsing every line — and must give exactly the answers a full parse gives, notice any change
 * made behind their back, and never write a task from a partial row.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Graph } from '../../src/core/graph.js';
import { pathsFor } from '../../src/store/paths.js';
import { JsonlStore } from '../../src/store/store.js';
import { project } from '../helpers/project.js';

describe('graph index', () => {
  let p: ReturnType<typeof project> | undefined;
  afterEach(() => p?.cleanup());
  const indexFile = (): string => join(p!.wgDir, 'cache', 'graph-index.json');

  const seed = (): void => {
    p = project();
    p.run(['add', 'Design', '--id', 'design', '-d', 'long description', '--tag', 'x']);
    p.run(['add', 'Build', '--id', 'build', '--after', 'design']);
    p.run(['add', 'Ship', '--id', 'ship', '--after', 'build', '-p', 'high']);
    p.run(['log', 'design', 'a log entry']);
  };

  it('is written by commands, ignored by git, and gives the same answers as a full parse', () => {
    seed();
    expect(existsSync(indexFile())).toBe(true);
    expect(readFileSync(join(p!.wgDir, 'cache', '.gitignore'), 'utf8')).toBe('*\n');
    const fast = { ready: p!.run(['ready', '--json']).stdout, list: p!.run(['list', '--json']).stdout, show: p!.run(['show', 'design', '--json']).stdout, why: p!.run(['why-blocked', 'ship', '--json']).stdout, status: p!.run(['status', '--json']).stdout };
    rmSync(join(p!.wgDir, 'cache'), { recursive: true });
    const slow = { ready: p!.run(['ready', '--json']).stdout, list: p!.run(['list', '--json']).stdout, show: p!.run(['show', 'design', '--json']).stdout, why: p!.run(['why-blocked', 'ship', '--json']).stdout, status: p!.run(['status', '--json']).stdout };
    expect(fast).toEqual(slow);
    // list --json rows are whole tasks (log and description included), not index rows.
    const design = JSON.parse(fast.list).find((t: { id: string }) => t.id === 'design');
    expect(design.description).toBe('long description');
    expect(design.log.map((e: { message: string }) => e.message)).toContain('a log entry');
  });

  it('notices a same-size edit made behind its back (hash, not mtime or size)', () => {
    seed();
    p!.run(['ready']); // index is fresh
    const text = readFileSync(p!.graphPath, 'utf8');
    // "open" → "done" keeps the byte size identical.
    writeFileSync(p!.graphPath, text.replace('"id":"design","title":"Design","description":"long description","status":"open"', '"id":"design","title":"Design","description":"long description","status":"done"'));
    expect(readFileSync(p!.graphPath, 'utf8').length).toBe(text.length);
    expect(p!.run(['ready', '--json']).json<Array<{ id: string }>>().map((r) => r.id)).toEqual(['build']);
  });

  it('a corrupt line added behind its back fails every command, index or not, and nothing is written', () => {
    seed();
    p!.run(['ready']);
    p!.rustUnloadable('appends a corrupt line on purpose');
    writeFileSync(p!.graphPath, readFileSync(p!.graphPath, 'utf8') + '{not json\n');
    const before = readFileSync(p!.graphPath);
    for (const args of [['ready'], ['list'], ['status'], ['done', 'design'], ['add', 'More']]) {
      const r = p!.run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: graph\.jsonl:4: invalid JSON/);
    }
    expect(readFileSync(p!.graphPath).equals(before)).toBe(true);
  });

  it('a loop created through the index is seen by the next reads (the acyclic flag is not trusted blindly)', () => {
    seed();
    p!.run(['ready']); // index says: acyclic
    expect(p!.run(['add', 'Iterate', '--id', 'iter', '--after', 'ship', '--max-iterations', '3']).code).toBe(0);
    const fast = [p!.run(['ready', '--json']).stdout, p!.run(['why-blocked', 'ship', '--json']).stdout];
    rmSync(join(p!.wgDir, 'cache'), { recursive: true });
    expect([p!.run(['ready', '--json']).stdout, p!.run(['why-blocked', 'ship', '--json']).stdout]).toEqual(fast);
    // Walk the loop to its first re-open through the index path.
    for (const id of ['design', 'build', 'ship', 'iter']) expect(p!.run(['done', id]).code).toBe(0);
    expect(p!.run(['show', 'iter', '--json']).json<{ status: string; loop_iteration?: number }>()).toMatchObject({ status: 'open', loop_iteration: 1 });
  });

  it('a garbage index is ignored and rebuilt', () => {
    seed();
    writeFileSync(indexFile(), '{"v":4,"hash":"x"');
    expect(p!.run(['ready', '--json']).json<Array<{ id: string }>>().map((r) => r.id)).toEqual(['design']);
    expect(JSON.parse(readFileSync(indexFile(), 'utf8'))[0].hash).toMatch(/^[0-9a-f]{40}$/);
  });

  it('writes through the index keep unknown fields, other kinds, comments, CRLF lines, UTF-8 and a missing final newline', () => {
    p = project();
    const lines = [
      '# a comment',
      '{"kind":"task","id":"a","title":"Ünïcödé ✓","status":"open","priority":10,"future_field":{"x":[1,2]}}',
      '{"kind":"resource","id":"gpu","available":2}',
      '{"kind":"task","id":"b","title":"B","status":"open","priority":10,"after":["a"]}\r',
      '{"kind":"task","id":"c","title":"C","status":"open","priority":10}',
    ];
    writeFileSync(p.graphPath, lines.join('\n')); // no final newline
    expect(p.run(['ready']).code).toBe(0); // builds the index
    expect(p.run(['log', 'a', 'first']).code).toBe(0); // a write through the index
    expect(p.run(['add', 'Dé', '--id', 'd']).code).toBe(0); // an append through the index
    const out = readFileSync(p.graphPath, 'utf8').split('\n');
    expect(out[0]).toBe('# a comment');
    expect(JSON.parse(out[1]!).future_field).toEqual({ x: [1, 2] });
    expect(JSON.parse(out[1]!).title).toBe('Ünïcödé ✓');
    expect(out[2]).toBe(lines[2]);
    expect(out[3]).toBe(lines[3]);
    expect(out[4]).toBe(lines[4]);
    expect(JSON.parse(out[5]!).id).toBe('d');
    expect(out[6]).toBe('');
    // …and the full parse agrees with what the index says.
    const fast = p.run(['list', '--json']).stdout;
    rmSync(join(p.wgDir, 'cache'), { recursive: true });
    expect(p.run(['list', '--json']).stdout).toBe(fast);
    // A new task cannot take the id of the resource line.
    const r = p.run(['add', 'GPU', '--id', 'gpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("id 'gpu' is already used by a non-task line (graph.jsonl:3)");
  });

  it('the store refuses to write a task built from a partial row (no field can be lost)', async () => {
    seed();
    p!.run(['ready']);
    const store = new JsonlStore(pathsFor(p!.wgDir));
    const before = readFileSync(p!.graphPath);
    const fromRow = (g: Graph) => {
      const row = g.peek('design')!; // a row: no log, no description
      return { writes: [{ ...row, title: 'Renamed' }], ops: [], result: undefined };
    };
    await expect(store.mutate(fromRow, { now: new Date() })).rejects.toThrow(/partial row/);
    expect(readFileSync(p!.graphPath).equals(before)).toBe(true);
    // From get(): the whole task, every field kept.
    await store.mutate((g) => ({ writes: [{ ...g.get('design')!, title: 'Renamed' }], ops: [], result: undefined }), { now: new Date() });
    const design = JSON.parse(readFileSync(p!.graphPath, 'utf8').split('\n')[0]!);
    expect(design).toMatchObject({ title: 'Renamed', description: 'long description' });
    expect(design.log.length).toBeGreaterThan(1);
  });
});
