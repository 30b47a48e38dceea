/**
 * Point reads from the index (src/store/index-view.ts, `wg show`) and the identity check that
 * lets readers skip hashing (src/store/file-identity.ts): same answers as a full parse, and no
 * change behind wg's back goes unnoticed — not even one that puts the file's size and mtime back.
 */
import fc from 'fast-check';
import { closeSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pathsFor } from '../../src/store/paths.js';
import { planAdd } from '../../src/core/plans/add.js';
import { readIndexFile } from '../../src/store/graph-index.js';
import { JsonlStore, loadState, openGraph } from '../../src/store/store.js';
import { IndexView } from '../../src/store/index-view.js';
import { seedGraph } from '../helpers/files.js';
import { bareTempDir, project as tempProject } from '../helpers/project.js';

describe('IndexView', () => {
  let p: ReturnType<typeof tempProject> | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  const idArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'a-1', 'a.b', 'x_y', 'ü', 'q"t');

  it('answers get / peek / has / dependents exactly as the full parse does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ id: idArb, after: fc.array(idArb, { maxLength: 3 }), title: fc.string({ maxLength: 12 }) }), { selector: (t) => t.id, minLength: 1, maxLength: 8 }),
        async (tasks) => {
          const b = bareTempDir();
          try {
            mkdirSync(join(b.dir, '.wg'));
            seedGraph(join(b.dir, '.wg', 'graph.jsonl'), tasks.map((t) => ({ ...t, title: `${t.title} "${t.id}" é` })));
            check(new JsonlStore(pathsFor(join(b.dir, '.wg'))));
          } finally {
            b.cleanup();
          }
        },
      ),
      { numRuns: 60 },
    );
    function check(store: JsonlStore): void {
      store.loadFast(); // builds the index
      const view = store.view();
      expect(view).toBeInstanceOf(IndexView);
      const full = store.load().graph;
      for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'a-1', 'a.b', 'x_y', 'ü', 'q"t', 'ghost']) {
        expect(view.has(id)).toBe(full.has(id));
        expect(view.get(id)).toEqual(full.get(id));
        expect(view.peek(id)?.title).toEqual(full.peek(id)?.title);
        expect(view.dependents(id)).toEqual(full.dependents(id));
      }
    }
  });

  it('a same-size edit that puts the mtime back is still noticed (ctime is newer than the index)', () => {
    p = tempProject();
    p.run(['add', 'Design', '--id', 'design']);
    p.run(['add', 'Build', '--id', 'build', '--after', 'design']);
    expect(p.run(['ready', '--json']).json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['design']);
    const st = statSync(p.graphPath);
    const text = readFileSync(p.graphPath, 'utf8');
    const edited = text.replace('"title":"Design","status":"open"', '"title":"Design","status":"done"');
    expect(edited.length).toBe(text.length);
    writeFileSync(p.graphPath, edited); // in place: same inode, same size
    utimesSync(p.graphPath, st.atime, st.mtime); // and the old mtime: the identity is unchanged
    expect(p.run(['ready', '--json']).json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['build']);
    expect(p.run(['show', 'design', '--json']).json<{ status: string }>().status).toBe('done');
  });

  it('after every write, the next reader trusts the index by identity (no hashing): the index is never racy', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    const store = new JsonlStore(paths);
    for (let i = 0; i < 20; i++) {
      await store.mutate((g) => planAdd(g, { title: `T${i}` }, { now: new Date(), actor: 'tester' }), { now: new Date() });
      const { fd, stat } = openGraph(paths);
      try {
        expect(loadState(fd, stat, readIndexFile(paths.dir)).trusted).toBe(true);
      } finally {
        closeSync(fd);
      }
    }
  });

  it('wg show names a missing task with a suggestion, from the index path too', () => {
    p = tempProject();
    p.run(['add', 'Design', '--id', 'design']);
    const r = p.run(['show', 'desgin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: task 'desgin' not found\nhint: did you mean 'design'?\n");
  });
});
