/**
 * Where the graph is (SPEC §1): --dir > $WG_DIR > nearest .wg/ walking up from the cwd; --dir
 * and $WG_DIR may name the .wg directory or the project directory that holds it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../helpers/project.js';
import { graphTasks, seedGraph } from '../helpers/files.js';
import { wgAsync } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const ids = (stdout: string): string[] => (JSON.parse(stdout) as Array<{ id: string }>).map((t) => t.id);

describe.concurrent('directory resolution', () => {
  it('--dir (the .wg dir or the project dir, before or after the command), $WG_DIR, and precedence', async (ctx) => {
    const p = await tmp.project(ctx);
    const other = await tmp.project(ctx);
    seedGraph(p.graphPath, [{ id: 'in-p' }]);
    seedGraph(other.graphPath, [{ id: 'in-other' }]);
    const elsewhere = tmp.bare(ctx).dir; // no .wg anywhere above it
    const runs = await Promise.all([
      wgAsync(elsewhere, ['--dir', p.wgDir, 'list', '--json']),
      wgAsync(elsewhere, ['list', '--json', '--dir', p.dir]),
      wgAsync(elsewhere, [`--dir=${p.wgDir}`, 'list', '--json']),
      wgAsync(elsewhere, ['list', '--json'], { WG_DIR: p.wgDir }),
      wgAsync(elsewhere, ['list', '--json'], { WG_DIR: p.dir }),
      // --dir beats $WG_DIR; $WG_DIR beats the cwd's own .wg
      wgAsync(elsewhere, ['--dir', p.dir, 'list', '--json'], { WG_DIR: other.dir }),
      wgAsync(other.dir, ['list', '--json'], { WG_DIR: p.wgDir }),
    ]);
    runs.forEach((r, i) => {
      expect(r.code, `run ${i}: ${r.stderr}`).toBe(0);
      expect(ids(r.stdout), `run ${i}`).toEqual(['in-p']);
    });
    // writes go to the resolved graph too
    const add = await wgAsync(elsewhere, ['--dir', p.dir, 'add', 'Remote', '--id', 'remote']);
    expect(add.code, add.stderr).toBe(0);
    expect(graphTasks(p.readGraph()).map((t) => t.id)).toEqual(['in-p', 'remote']);
    expect(graphTasks(other.readGraph()).map((t) => t.id)).toEqual(['in-other']);
  });

  it('walks up from a nested subdirectory to the nearest .wg', async (ctx) => {
    const p = await tmp.project(ctx);
    seedGraph(p.graphPath, [{ id: 'top' }]);
    const deep = join(p.dir, 'src', 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    // a nested project shadows the outer one below it
    const inner = join(p.dir, 'src', 'inner');
    mkdirSync(join(inner, 'pkg'), { recursive: true });
    expect((await wgAsync(inner, ['init'])).code).toBe(0);
    seedGraph(join(inner, '.wg', 'graph.jsonl'), [{ id: 'nested' }]);
    const [fromDeep, fromInner] = await Promise.all([wgAsync(deep, ['list', '--json']), wgAsync(join(inner, 'pkg'), ['list', '--json'])]);
    expect(ids(fromDeep.stdout)).toEqual(['top']);
    expect(ids(fromInner.stdout)).toEqual(['nested']);
  });

  it("no .wg found: exit 1 with error: no .wg directory found — run 'wg init'", async (ctx) => {
    const dir = tmp.bare(ctx).dir;
    const nested = join(dir, 'x', 'y');
    mkdirSync(nested, { recursive: true });
    const [human, json, add, badDir] = await Promise.all([
      wgAsync(nested, ['list']),
      wgAsync(nested, ['status', '--json']),
      wgAsync(dir, ['add', 'T']),
      wgAsync(dir, ['--dir', join(dir, 'missing'), 'list']),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr.split('\n')[0]).toBe("error: no .wg directory found — run 'wg init'");
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'not_initialized', message: "no .wg directory found — run 'wg init'" });
    expect(add.code).toBe(1);
    expect(add.stderr.split('\n')[0]).toBe("error: no .wg directory found — run 'wg init'");
    expect(badDir.code).toBe(1);
    expect(badDir.stderr).toMatch(/^error: no workgraph at .*missing/);
  });
});
