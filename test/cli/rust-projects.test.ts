/**
 * Projects made by the Rust tool keep their graph in the legacy `.workgraph/` folder: wg finds it
 * (walking up, .wg/ then .workgraph/ at each level, as the Rust tool), uses it in place, says so
 * in `wg which`, and `wg init` there creates nothing. Reading blocked_by & co. is issue 10's
 * next part; here the commands only have to find the project and leave its bytes alone.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyRustFixture } from '../helpers/rust-fixtures.js';
import { tempDirsPerTest } from '../helpers/project.js';
import { isOneLineError, wgAsync } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

interface Which {
  dir: string;
  source: string;
  searched_from?: string;
  given?: string;
  legacy: boolean;
  initialized: boolean;
  shadowed: string | null;
  warning: string | null;
}

const TASK = (id: string): string => `{"kind":"task","id":"${id}","title":"${id}","status":"open"}\n`;

describe.concurrent('a project made by the Rust tool (legacy .workgraph/)', () => {
  it('list, ready, show and which work from the project directory and from a subdirectory, and read commands change no byte', async (ctx) => {
    const root = copyRustFixture('plain-project', tmp.bare(ctx).dir);
    const graph = join(root, '.workgraph', 'graph.jsonl');
    const before = readFileSync(graph);
    for (const cwd of [root, join(root, 'docs')]) {
      const [list, ready, show, which, whichText] = await Promise.all([
        wgAsync(cwd, ['list', '--json']),
        wgAsync(cwd, ['ready', '--json']),
        wgAsync(cwd, ['show', 'write-docs', '--json']),
        wgAsync(cwd, ['which', '--json']),
        wgAsync(cwd, ['which']),
      ]);
      for (const r of [list, ready, show, which, whichText]) expect(r.code, r.stderr).toBe(0);
      expect(list.json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['set-up-repo', 'write-parser', 'write-docs', 'add-tests', 'release', 'collect-feedback']);
      const readyIds = ready.json<Array<{ id: string }>>().map((t) => t.id);
      expect(readyIds).toContain('add-tests'); // its only blocker is done
      expect(readyIds).not.toContain('write-docs'); // in progress
      expect(show.json<{ id: string; assigned: string }>()).toMatchObject({ id: 'write-docs', assigned: 'erik' });
      expect(which.json<Which>()).toEqual({ dir: join(root, '.workgraph'), source: 'walk-up', searched_from: cwd, legacy: true, initialized: true, shadowed: null, warning: null });
      expect(whichText.stdout.split('\n')[0]).toBe(join(root, '.workgraph'));
      expect(whichText.stdout).toContain(cwd === root ? `reason: found in ${root}` : `reason: found walking up from ${cwd}`);
      expect(whichText.stdout).toMatch(/legacy: \.workgraph\/ is the folder of projects made by the Rust tool/);
    }
    expect(readFileSync(graph).equals(before)).toBe(true);
    expect(existsSync(join(root, '.wg'))).toBe(false);
  });

  it('the full legacy fixture is found from a nested subdirectory, by --dir and by $WG_DIR naming the project', async (ctx) => {
    const root = copyRustFixture('legacy-project', tmp.bare(ctx).dir);
    const elsewhere = tmp.bare(ctx).dir;
    const [nested, flag, env] = await Promise.all([
      wgAsync(join(root, 'src', 'lib'), ['which', '--json']),
      wgAsync(elsewhere, ['--dir', root, 'which', '--json']),
      wgAsync(elsewhere, ['which', '--json'], { WG_DIR: root }),
    ]);
    expect(nested.json<Which>()).toMatchObject({ dir: join(root, '.workgraph'), source: 'walk-up', searched_from: join(root, 'src', 'lib'), legacy: true, initialized: true });
    expect(flag.json<Which>()).toMatchObject({ dir: join(root, '.workgraph'), source: 'flag', given: root, legacy: true });
    expect(env.json<Which>()).toMatchObject({ dir: join(root, '.workgraph'), source: 'env', given: root, legacy: true });
    const human = await wgAsync(elsewhere, ['which'], { WG_DIR: root });
    expect(human.stdout).toContain(`reason: $WG_DIR=${root}`);
  });

  it('wg init where a .workgraph/ exists says so in one line and creates nothing', async (ctx) => {
    const root = copyRustFixture('plain-project', tmp.bare(ctx).dir);
    const entries = readdirSync(root).sort();
    const wgEntries = readdirSync(join(root, '.workgraph')).sort();
    const [human, json, viaDir] = await Promise.all([wgAsync(root, ['init']), wgAsync(root, ['init', '--json']), wgAsync(tmp.bare(ctx).dir, ['init', '--dir', root])]);
    expect(human.code).toBe(1);
    expect(isOneLineError(human.stderr), human.stderr).toBe(true);
    expect(human.stderr).toContain(`error: a workgraph already exists at ${join(root, '.workgraph')} — wg uses it as is; nothing was created`);
    expect(human.stderr).toMatch(/hint: run wg commands here/);
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string } }>().error.code).toBe('already_exists');
    expect(viaDir.code).toBe(1);
    expect(viaDir.stderr.split('\n')[0]).toBe(`error: a workgraph already exists at ${join(root, '.workgraph')}`);
    expect(readdirSync(root).sort()).toEqual(entries);
    expect(readdirSync(join(root, '.workgraph')).sort()).toEqual(wgEntries);
  });
});

describe.concurrent('which directory wins', () => {
  const make = (root: string, name: string, graph?: string): string => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    if (graph !== undefined) writeFileSync(join(d, 'graph.jsonl'), graph);
    return d;
  };

  it('at one level .wg/ comes before .workgraph/ (and which says the other is not used)', async (ctx) => {
    const root = tmp.bare(ctx).dir;
    const wgDir = make(root, '.wg', TASK('in-wg'));
    const legacy = make(root, '.workgraph', TASK('in-legacy'));
    const [list, which] = await Promise.all([wgAsync(root, ['list', '--json']), wgAsync(root, ['which'])]);
    expect(list.json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['in-wg']);
    expect(which.stdout).toContain(`note: ${legacy} exists too and is not used`);
    expect(which.stdout.split('\n')[0]).toBe(wgDir);
  });

  it('the nearest directory wins, whatever its name', async (ctx) => {
    const root = tmp.bare(ctx).dir;
    make(root, '.wg', TASK('outer'));
    const inner = join(root, 'pkg');
    make(inner, '.workgraph', TASK('inner'));
    const deep = join(inner, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const list = await wgAsync(deep, ['list', '--json']);
    expect(list.json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['inner']);
  });

  it('a .wg/ without graph.jsonl gives way to an initialized .workgraph/ beside it', async (ctx) => {
    const root = tmp.bare(ctx).dir;
    make(root, '.wg');
    const legacy = make(root, '.workgraph', TASK('real'));
    const [list, which] = await Promise.all([wgAsync(root, ['list', '--json']), wgAsync(root, ['which', '--json'])]);
    expect(list.json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['real']);
    expect(which.json<Which>()).toMatchObject({ dir: legacy, shadowed: join(root, '.wg') });
  });

  it('the trap left by an older wg init (an empty .wg/ beside the real .workgraph/) is named on every command', async (ctx) => {
    const root = tmp.bare(ctx).dir;
    const wgDir = make(root, '.wg', '');
    const legacy = make(root, '.workgraph', TASK('real'));
    const [list, json, which] = await Promise.all([wgAsync(root, ['list']), wgAsync(root, ['list', '--json']), wgAsync(root, ['which', '--json'])]);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe(`warning: ${wgDir} has an empty graph while ${legacy} holds one; move ${wgDir} away to use ${legacy}\n`);
    expect(json.stderr).toBe(''); // --json keeps quiet
    expect(which.json<Which>()).toMatchObject({ dir: wgDir, shadowed: legacy, warning: expect.stringContaining('has an empty graph') });
  });

  it('a found directory without graph.jsonl, and nothing found at all', async (ctx) => {
    const root = tmp.bare(ctx).dir;
    const legacy = make(join(root, 'p'), '.workgraph');
    const [list, which] = await Promise.all([wgAsync(join(root, 'p'), ['list']), wgAsync(join(root, 'p'), ['which', '--json'])]);
    expect(list.code).toBe(1);
    expect(list.stderr.split('\n')[0]).toBe(`error: no workgraph at ${legacy} (it has no graph.jsonl) — run 'wg init' in ${join(root, 'p')}`);
    expect(which.code).toBe(0);
    expect(which.json<Which>()).toMatchObject({ dir: legacy, initialized: false });
    const nothing = await wgAsync(root, ['which']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^error: no \.wg directory found — run 'wg init'\nhint: looked for \.wg\/ and \.workgraph\/ in /);
  });
});
