/**
 * The store's writing rules (SPEC §1), each checked through the real CLI with a test that
 * fails if the rule is broken.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../helpers/project.js';
import { graphTasks, operations, seedGraph, writeRegistry } from '../helpers/files.js';
import { isOneLineError } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const lines = (text: string): string[] => text.split('\n');
const graphEntries = (wgDir: string): string[] => readdirSync(wgDir).filter((n) => n.startsWith('graph.jsonl'));

describe.concurrent('(a) a corrupt line fails every command and changes nothing', () => {
  const good = '{"kind":"task","id":"a","title":"A","status":"open","priority":10}';
  const variants: Array<[string, string, RegExp]> = [
    ['bad JSON', '{"kind":"task","id":"b","title":"B",', /^error: graph\.jsonl:2: invalid JSON/],
    ['missing id', '{"kind":"task","title":"No id","status":"open","priority":10}', /^error: graph\.jsonl:2: missing "id"/],
    ['bad status', '{"kind":"task","id":"b","title":"B","status":"almost-done","priority":10}', /^error: graph\.jsonl:2: .*status.*almost-done/],
  ];
  const everyCommand = [
    ['list'], ['show', 'a'], ['ready'], ['status'], ['check'], ['blocked', 'a'], ['why-blocked', 'a'],
    ['add', 'New'], ['edit', 'a', '--title', 'Z'], ['claim', 'a'], ['claim', '--next'], ['unclaim', 'a'], ['done', 'a'],
    ['fail', 'a'], ['abandon', 'a'], ['log', 'a', 'msg'], ['log', 'a'], ['artifact', 'a', 'p'], ['add-dep', 'a', 'c'],
    ['rm-dep', 'a', 'c'], ['pause', 'a'], ['resume', 'a'],
  ];
  for (const [name, bad, message] of variants) {
    it(name, async (ctx) => {
      const q = await tmp.project(ctx);
      q.rustUnloadable('writes a corrupt line on purpose');
      const text = `${good}\n${bad}\n{"kind":"task","id":"c","title":"C","status":"open","priority":10}\n`;
      writeFileSync(q.graphPath, text);
      // the full command list for the first variant; a sample for the others
      const commands = name === 'bad JSON' ? everyCommand : [['list'], ['add', 'New'], ['done', 'a']];
      const results = await Promise.all(commands.map((args) => q.wg(args)));
      results.forEach((r, i) => {
        expect(r.code, commands[i]!.join(' ')).toBe(1);
        expect(isOneLineError(r.stderr), r.stderr).toBe(true);
        expect(r.stderr).toMatch(message);
      });
      const j = await q.wg(['show', 'a', '--json']);
      expect(j.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'corrupt_graph', message: expect.stringMatching(/^graph\.jsonl:2: /) });
      expect(readFileSync(q.graphPath, 'utf8')).toBe(text);
      expect(operations(q.wgDir)).toEqual([]);
      expect(graphEntries(q.wgDir)).toEqual(['graph.jsonl']);
    });
  }

  it('a duplicate id: reads go on with a warning, the last line wins (as the Rust tool); a write to it refuses naming both lines', async (ctx) => {
    const q = await tmp.project(ctx);
    const text = `${good}\n{"kind":"task","id":"c","title":"C","status":"open","priority":10}\n${good.replace('"A"', '"A again"')}\n`;
    writeFileSync(q.graphPath, text);
    const warning = "warning: graph.jsonl:3: duplicate id 'a' (also on line 1): the last line is used, as the Rust tool does — remove the line you do not want\n";
    const [list, show, json] = await Promise.all([q.wg(['list']), q.wg(['show', 'a']), q.wg(['list', '--json'])]);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe(warning);
    expect(show.stdout).toContain('A again');
    expect(json.stderr).toBe(''); // --json keeps stderr quiet, stdout machine-readable
    expect(json.json<Array<{ id: string; title: string }>>().map((t) => `${t.id}:${t.title}`)).toEqual(['c:C', 'a:A again']);
    for (const args of [['edit', 'a', '--title', 'Z'], ['done', 'a'], ['add-dep', 'c', 'a']]) {
      const r = await q.wg(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toBe(
        "error: task 'a' is defined on lines 1 and 3 of graph.jsonl — refusing to write it\nhint: keep one of them: delete line 1 (the Rust tool and wg read line 3) or line 3, then run the command again\n",
      );
    }
    expect(q.readGraph()).toBe(text);
    // Writes to other tasks go on (the duplicate lines are kept as they are).
    const other = await q.wg(['log', 'c', 'still works']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toBe(warning);
    expect(q.readGraph().split('\n')[0]).toBe(good);
    expect(q.readGraph().split('\n')[2]).toBe(good.replace('"A"', '"A again"'));
  });
});

describe.concurrent('(b) stable line order', () => {
  it('editing one task changes exactly its line; new tasks append at the end', async (ctx) => {
    const q = await tmp.project(ctx);
    // deliberately not sorted: a save must not sort
    const seeded = lines(seedGraph(q.graphPath, [{ id: 'zeta' }, { id: 'alpha' }, { id: 'mid' }, { id: 'beta' }, { id: 'kappa' }]));

    expect((await q.wg(['edit', 'mid', '--title', 'Middle'])).code).toBe(0);
    const afterEdit = lines(q.readGraph());
    expect(afterEdit).toHaveLength(seeded.length);
    const changed = afterEdit.map((l, i) => (l !== seeded[i] ? i : -1)).filter((i) => i >= 0);
    expect(changed).toEqual([2]);
    expect(JSON.parse(afterEdit[2]!)).toMatchObject({ id: 'mid', title: 'Middle' });

    expect((await q.wg(['claim', 'kappa'])).code).toBe(0);
    const afterClaim = lines(q.readGraph());
    expect(afterClaim.map((l, i) => (l !== afterEdit[i] ? i : -1)).filter((i) => i >= 0)).toEqual([4]);

    expect((await q.wg(['add', 'Newest', '--id', 'newest'])).code).toBe(0);
    const afterAdd = lines(q.readGraph());
    expect(afterAdd.slice(0, 5)).toEqual(afterClaim.slice(0, 5));
    expect(JSON.parse(afterAdd[5]!)).toMatchObject({ id: 'newest' });
    expect(afterAdd[6]).toBe(''); // trailing newline, nothing else

    // a dependency edit touches exactly the two tasks involved
    expect((await q.wg(['add-dep', 'alpha', 'beta'])).code).toBe(0);
    const afterDep = lines(q.readGraph());
    expect(afterDep.map((l, i) => (l !== afterAdd[i] ? i : -1)).filter((i) => i >= 0)).toEqual([1, 3]);
    expect(graphTasks(afterDep.join('\n')).map((t) => t.id)).toEqual(['zeta', 'alpha', 'mid', 'beta', 'kappa', 'newest']);
  });
});

describe.concurrent('(c) unknown fields, unknown kinds and comments survive', () => {
  it('every edit keeps them', async (ctx) => {
    const q = await tmp.project(ctx);
    q.rustUnloadable('a line of an unknown kind, from a newer tool (the Rust tool refuses the kind; wg keeps it)');
    const custom = { deep: [1, { x: null, y: 'é ✓' }], n: 1.5 };
    const raw = [
      '# graph written by a newer tool',
      JSON.stringify({ kind: 'task', id: 'a', title: 'A', status: 'open', priority: 10, custom, zero_field: 0, flag_off: false, empty_list: [], future_status_note: 'x' }),
      '{"kind":"resource","id":"gpu","name":"GPU","available":2,"cost":{"usd":3}}',
      '   # an indented comment',
      '{"kind":"future-thing","id":"ft1","payload":{"a":[1,2,3]},"schema":7}',
      '',
      '{"kind":"task","id":"b","title":"B","status":"open","priority":10,"x-extension":{"k":"v"}}',
      '',
    ];
    writeFileSync(q.graphPath, raw.join('\n'));
    for (const args of [
      ['edit', 'a', '--title', 'A2', '--add-tag', 't'],
      ['claim', 'a'],
      ['log', 'a', 'working'],
      ['artifact', 'a', 'out.txt'],
      ['done', 'a'],
      ['add-dep', 'b', 'a'],
      ['add', 'C', '--id', 'c'],
    ]) {
      const r = await q.wg(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const out = lines(q.readGraph());
    // non-task lines: byte-identical, same positions
    for (const i of [0, 2, 3, 4, 5]) expect(out[i]).toBe(raw[i]);
    const a = JSON.parse(out[1]!) as Record<string, unknown>;
    expect(a).toMatchObject({ id: 'a', title: 'A2', status: 'done', tags: ['t'], artifacts: ['out.txt'] });
    expect(a.custom).toEqual(custom);
    expect(a.zero_field).toBe(0);
    expect(a.flag_off).toBe(false);
    expect(a.empty_list).toEqual([]);
    expect(a.future_status_note).toBe('x');
    const b = JSON.parse(out[6]!) as Record<string, unknown>;
    expect(b).toMatchObject({ id: 'b', after: ['a'], 'x-extension': { k: 'v' } });
    expect(JSON.parse(out[7]!)).toMatchObject({ id: 'c' });
    expect(out[8]).toBe('');
    expect(out).toHaveLength(9);

    // the ids of other kinds are taken: a new task never replaces their line
    const [clash, derived] = await Promise.all([q.wg(['add', 'GPU task', '--id', 'gpu']), q.wg(['add', 'ft1'])]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/^error: id 'gpu' is already used by a non-task line \(graph\.jsonl:3\)/);
    expect(derived.code).toBe(1);
    expect(q.readGraph()).toBe(out.join('\n'));
  });
});

describe.concurrent('(d) ids are validated before any use', () => {
  const bad = ['../x', '../../etc/passwd', 'A B', 'Upper', 'a/b', '..', '.', '-lead', 'x'.repeat(129), 'a\nb', '.hidden/../x'];
  it('invalid --id values are usage errors and nothing is written', async (ctx) => {
    const q = await tmp.project(ctx);
    const results = await Promise.all(bad.map((id) => q.wg(['add', 'T', '--id', id])));
    results.forEach((r, i) => {
      expect(r.code, `--id ${JSON.stringify(bad[i])}`).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^error: invalid task id /);
    });
    expect(q.readGraph()).toBe('');
    expect(existsSync(join(q.dir, 'x'))).toBe(false);
    // the longest legal id and a system id are accepted
    const okRuns = await Promise.all([q.wg(['add', 'Long', '--id', 'x'.repeat(128)]), q.wg(['add', 'Sys', '--id', '.evaluate-long'])]);
    for (const r of okRuns) expect(r.code, r.stderr).toBe(0);
  });

  it('dependency ids and agent ids are checked too', async (ctx) => {
    const q = await tmp.project(ctx);
    const bytes = seedGraph(q.graphPath, [{ id: 'a' }]);
    const [dep, editDep, hb] = await Promise.all([
      q.wg(['add', 'T', '--after', '../up', '--allow-phantom']),
      q.wg(['edit', 'a', '--add-after', 'a b', '--allow-phantom']),
      q.wg(['heartbeat', '../../agent-1']),
    ]);
    expect(dep.code).toBe(2);
    expect(dep.stderr).toMatch(/^error: invalid dependency id '\.\.\/up'/);
    expect(editDep.code).toBe(2);
    expect(hb.code).toBe(2);
    expect(hb.stderr).toMatch(/^error: invalid agent id/);
    expect(q.readGraph()).toBe(bytes);
    expect(existsSync(join(q.wgDir, 'service', 'registry.json'))).toBe(false);
  });
});

describe.concurrent('(e) heartbeats do not rewrite graph.jsonl', () => {
  it('bytes, inode and mtime are untouched (a mutation replaces the file)', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [{ id: 't', status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }]);
    writeRegistry(q.wgDir, [{ id: 'agent-1', task_id: 't', claim_epoch: 1 }]);
    const bytes = q.readGraph();
    const st = statSync(q.graphPath);
    const env = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 't', WG_CLAIM_EPOCH: '1' };
    for (const args of [['heartbeat'], ['heartbeat', 'agent-1']]) expect((await q.wg(args, env)).code).toBe(0);
    const st2 = statSync(q.graphPath);
    expect(q.readGraph()).toBe(bytes);
    expect(st2.ino).toBe(st.ino);
    expect(st2.mtimeMs).toBe(st.mtimeMs);
    // control: a real write replaces the file (atomic rename → new inode)
    expect((await q.wg(['log', 't', 'hello'], env)).code).toBe(0);
    expect(statSync(q.graphPath).ino).not.toBe(st.ino);
  });
});

describe.concurrent('(f) one operations.jsonl line per mutating command', () => {
  it('mutations append exactly one line; reads, no-ops and refusals append none', async (ctx) => {
    const q = await tmp.project(ctx);
    const steps: Array<[string[], number, string?]> = [
      [['add', 'A', '--id', 'a'], 1, 'add_task'],
      [['add', 'B', '--id', 'b', '--after', 'a'], 1, 'add_task'],
      [['list'], 0], [['show', 'a'], 0], [['ready'], 0], [['status'], 0], [['check'], 0],
      [['blocked', 'b'], 0], [['why-blocked', 'b'], 0], [['log', 'a'], 0], [['artifact', 'a'], 0],
      [['edit', 'a', '--title', 'A'], 0],
      [['edit', 'a', '--title', 'A1'], 1, 'edit'],
      [['claim', 'a', '--actor', 'alice'], 1, 'claim'],
      [['claim', 'a', '--actor', 'alice'], 0],
      [['claim', 'a', '--actor', 'bob'], 0],
      [['log', 'a', 'note'], 1, 'log'],
      [['artifact', 'a', 'x.txt'], 1, 'artifact_add'],
      [['artifact', 'a', 'x.txt'], 0],
      [['pause', 'b'], 1, 'pause'],
      [['pause', 'b'], 0],
      [['resume', 'b'], 1, 'resume'],
      [['unclaim', 'a'], 1, 'unclaim'],
      [['done', 'a'], 1, 'done'],
      [['done', 'a'], 0],
      [['rm-dep', 'b', 'a'], 1, 'unlink'],
      [['rm-dep', 'b', 'a'], 0],
      [['add-dep', 'b', 'a'], 1, 'link'],
      [['fail', 'b', '--reason', 'r'], 1, 'fail'],
      [['fail', 'b'], 0],
      [['done', 'b'], 0],
      [['add', 'C', '--id', 'c'], 1, 'add_task'],
      [['abandon', 'c'], 1, 'abandon'],
    ];
    let count = 0;
    for (const [args, delta, op] of steps) {
      await q.wg(args);
      const ops = operations(q.wgDir);
      expect(ops.length, args.join(' ')).toBe(count + delta);
      if (op) expect(ops.at(-1), args.join(' ')).toMatchObject({ op, task_id: args.find((a, i) => i > 0 && !a.startsWith('-') && /^[a-z]$/.test(a)) });
      count = ops.length;
    }
    for (const o of operations(q.wgDir)) {
      expect(Date.parse(o.timestamp as string)).not.toBeNaN();
      expect(typeof o.actor).toBe('string');
    }
    // (g) many writes leave no temp files behind
    expect(graphEntries(q.wgDir)).toEqual(['graph.jsonl']);
  });
});

describe.concurrent('(g) atomic writes leave no temp files', () => {
  it('concurrent writers lose nothing and leave no temp files', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [{ id: 't' }]);
    const n = 8;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => q.wg(['log', 't', `entry ${i}`])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const t = graphTasks(q.readGraph())[0]!;
    expect((t.log as Array<{ message: string }>).map((e) => e.message).sort()).toEqual(Array.from({ length: n }, (_, i) => `entry ${i}`).sort());
    expect(operations(q.wgDir)).toHaveLength(n);
    expect(graphEntries(q.wgDir)).toEqual(['graph.jsonl']);
  });

  it("a killed writer's stale temp file is removed by the next write; other files are kept", async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [{ id: 't' }]);
    writeFileSync(join(q.wgDir, 'graph.jsonl.wg-tmp-999999-1'), '{"kind":"task","id":"half-writ');
    writeFileSync(join(q.wgDir, 'graph.jsonl.bak'), 'a backup the user made\n');
    writeFileSync(join(q.wgDir, 'graph.jsonl.1'), 'another backup, numbered\n');
    expect((await q.wg(['edit', 't', '--title', 'New'])).code).toBe(0);
    expect(graphEntries(q.wgDir).sort()).toEqual(['graph.jsonl', 'graph.jsonl.1', 'graph.jsonl.bak']);
    expect(graphTasks(q.readGraph()).map((t) => t.title)).toEqual(['New']);
  });
});

describe.concurrent("(h) a graph written by the Rust tool", () => {
  const alpha = {
    kind: 'task',
    id: 'alpha',
    title: 'Alpha',
    status: 'in-progress',
    priority: 'high',
    assigned: 'erik',
    estimate: { hours: 2.5, cost: null },
    before: ['beta'],
    created_at: '2025-03-01T10:00:00.123456789+00:00',
    started_at: '2025-03-01T11:00:00.5+00:00',
    last_interaction_at: '2025-03-01T11:30:00.000000001+00:00',
    log: [{ timestamp: '2025-03-01T10:00:00.123456789+00:00', actor: 'erik', message: 'created' }],
    unplaced: true,
    visibility: 'internal',
  };
  const beta = {
    kind: 'task',
    id: 'beta',
    title: 'Beta',
    status: 'pending-validation',
    priority: 'low',
    after: ['alpha'],
    created_at: '2025-03-01T10:00:01+00:00',
    unplaced: false,
  };
  const gamma = { kind: 'task', id: 'gamma', title: 'Gamma', status: 'failed-pending-eval', priority: 'normal', failure_reason: 'x', retry_count: 2 };
  const rust = [JSON.stringify(alpha), JSON.stringify(beta), JSON.stringify(gamma), ''].join('\n');

  it('is read, and editing one task rewrites only that line, keeping Rust fields', async (ctx) => {
    const q = await tmp.project(ctx);
    writeFileSync(q.graphPath, rust);
    const [list, show] = await Promise.all([q.wg(['list', '--json']), q.wg(['show', 'alpha'])]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json<Array<{ id: string; status: string; priority: number }>>().map((t) => [t.id, t.status, t.priority])).toEqual([
      ['alpha', 'in-progress', 50],
      ['beta', 'pending-validation', 5],
      ['gamma', 'failed-pending-eval', 10],
    ]);
    expect(show.stdout).toContain('Created   2025-03-01T10:00:00.123456789+00:00');
    expect(show.stdout).toContain('  2025-03-01T10:00:00.123456789+00:00 [erik] created');
    expect(show.stdout).toContain('  beta (pending-validation)');

    const r = await q.wg(['edit', 'beta', '--title', 'Beta two']);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(q.readGraph());
    const before = lines(rust);
    expect(out[0]).toBe(before[0]);
    expect(out[2]).toBe(before[2]);
    const b = JSON.parse(out[1]!) as Record<string, unknown>;
    expect(b).toMatchObject({ id: 'beta', title: 'Beta two', status: 'pending-validation', after: ['alpha'], created_at: beta.created_at, unplaced: false });

    // a write to the Rust-format task itself keeps every field it had
    const l = await q.wg(['log', 'alpha', 'hello from ts', '--actor', 'erik']);
    expect(l.code, l.stderr).toBe(0);
    const out2 = lines(q.readGraph());
    expect(out2[1]).toBe(out[1]);
    expect(out2[2]).toBe(out[2]);
    const a = JSON.parse(out2[0]!) as Record<string, unknown>;
    for (const f of ['estimate', 'before', 'created_at', 'started_at', 'last_interaction_at', 'unplaced', 'visibility', 'assigned', 'status'] as const) {
      expect(a[f], f).toEqual(alpha[f]);
    }
    const log = a.log as Array<Record<string, unknown>>;
    expect(log[0]).toEqual(alpha.log[0]);
    expect(log[1]).toMatchObject({ actor: 'erik', message: 'hello from ts' });
  });
});
