/**
 * Every command end to end against a real `wg` subprocess: human and --json output, and what
 * each one leaves in graph.jsonl.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Project, tempDirsPerTest } from '../helpers/project.js';
import { graphTasks, operations, seedGraph, writeRegistry } from '../helpers/files.js';
import { wgAsync } from '../helpers/wg.js';

type Task = Record<string, unknown> & { id: string };

// Tests run concurrently (each spawn mostly waits on fsync); each owns its temp dirs.
const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const task = (q: Project, id: string): Task => {
  const t = graphTasks(q.readGraph()).find((x) => x.id === id);
  if (!t) throw new Error(`no task '${id}' in graph`);
  return t as Task;
};
const ok = (r: { code: number; stderr: string }): void => expect(r.code, r.stderr).toBe(0);

describe.concurrent('wg init', () => {
  it('creates .wg/ with an empty graph, config and .gitignore; a second init is refused', async (ctx) => {
    const bare = tmp.bare(ctx);
    const r = await wgAsync(bare.dir, ['init']);
    ok(r);
    expect(r.stdout).toContain(`Initialized workgraph in ${join(bare.dir, '.wg')}`);
    const wgDir = join(bare.dir, '.wg');
    expect(readFileSync(join(wgDir, 'graph.jsonl'), 'utf8')).toBe('');
    expect(existsSync(join(wgDir, 'config.toml'))).toBe(true);
    expect(existsSync(join(wgDir, '.gitignore'))).toBe(true);

    writeFileSync(join(wgDir, 'graph.jsonl'), '{"kind":"task","id":"keep","title":"Keep","status":"open","priority":10}\n');
    const again = await wgAsync(bare.dir, ['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: a workgraph already exists at .*\.wg\n/);
    expect(readFileSync(join(wgDir, 'graph.jsonl'), 'utf8')).toContain('"keep"');

    const j = await wgAsync(bare.dir, ['init', '--json']);
    expect(j.code).toBe(1);
    expect(j.json<{ error: { code: string } }>().error.code).toBe('already_exists');
  });

  it('--json reports the directory; --dir initializes elsewhere', async (ctx) => {
    const bare = tmp.bare(ctx);
    const r = await wgAsync(bare.dir, ['init', '--json', '--dir', join(bare.dir, 'sub', '.wg')]);
    ok(r);
    expect(r.json<{ dir: string }>().dir).toBe(join(bare.dir, 'sub', '.wg'));
    expect(existsSync(join(bare.dir, 'sub', '.wg', 'graph.jsonl'))).toBe(true);
    expect(existsSync(join(bare.dir, '.wg'))).toBe(false);
  });
});

describe.concurrent('wg add', () => {
  it('accepts every flag and writes them to the task line', async (ctx) => {
    const q = await tmp.project(ctx);
    const r = await q.wg([
      'add', 'Design the API', '--id', 'design', '-d', 'Line one\nline two', '--tag', 'api', '--tag', 'design',
      '--priority', 'high', '--exec', 'echo hi', '--model', 'claude:opus', '--max-retries', '3', '--timeout', '30m',
      '--not-before', '2030-01-02T03:04:05+02:00', '--immediate', '--json',
    ]);
    ok(r);
    const out = r.json<Task>();
    expect(out).toMatchObject({ id: 'design', title: 'Design the API', status: 'open', priority: 50 });
    const t = task(q, 'design');
    expect(t).toMatchObject({
      kind: 'task',
      id: 'design',
      title: 'Design the API',
      description: 'Line one\nline two',
      status: 'open',
      priority: 50,
      tags: ['api', 'design'],
      exec: 'echo hi',
      model: 'claude:opus',
      max_retries: 3,
      timeout: '30m',
    });
    expect(Date.parse(t.not_before as string)).toBe(Date.parse('2030-01-02T01:04:05Z'));
    expect(t.not_before).toMatch(/Z$/); // stored as UTC
    expect(typeof t.created_at).toBe('string');
    expect(t.paused).toBeUndefined();
    expect(t.assigned).toBeUndefined();
  });

  it('derives ids from titles, suffixes collisions, and prints the human line', async (ctx) => {
    const q = await tmp.project(ctx);
    const a = await q.wg(['add', 'Fix (bug) #123!']);
    ok(a);
    expect(a.stdout).toBe('Added task: Fix (bug) #123! (fix-bug-123)\n');
    const b = await q.wg(['add', 'Fix bug 123', '--json']);
    expect(b.json<Task>().id).toBe('fix-bug-123-2');
    expect(graphTasks(q.readGraph()).map((t) => t.id)).toEqual(['fix-bug-123', 'fix-bug-123-2']);
  });

  it('--after takes repeats and comma lists and maintains before on each dependency', async (ctx) => {
    const q = await tmp.project(ctx);
    for (const id of ['a', 'b', 'c']) ok(await q.wg(['add', id.toUpperCase(), '--id', id]));
    ok(await q.wg(['add', 'Dependent', '--id', 'd', '--after', 'a,b', '--after', 'c']));
    expect(task(q, 'd').after).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(task(q, id).before).toEqual(['d']);
    // d is not ready until its dependencies are done
    expect((await q.wg(['ready', '--json'])).json<Array<{ id: string }>>().map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it('numeric and named priorities, --paused drafts, relative --not-before', async (ctx) => {
    const q = await tmp.project(ctx);
    ok(await q.wg(['add', 'Numeric', '--priority', '42']));
    ok(await q.wg(['add', 'Low', '-p', 'low']));
    ok(await q.wg(['add', 'Critical', '-p', 'CRITICAL']));
    const paused = await q.wg(['add', 'Draft', '--paused']);
    ok(paused);
    expect(paused.stdout).toContain('paused draft');
    const before = Date.now();
    ok(await q.wg(['add', 'Later', '--not-before', '+30m']));
    expect(task(q, 'numeric').priority).toBe(42);
    expect(task(q, 'low').priority).toBe(5);
    expect(task(q, 'critical').priority).toBe(100);
    expect(task(q, 'draft').paused).toBe(true);
    const nb = Date.parse(task(q, 'later').not_before as string);
    expect(nb).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1000);
    expect(nb).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 1000);
    // neither the draft nor the not-before task is ready; the rest are, by priority
    expect((await q.wg(['ready', '--json'])).json<Array<{ id: string }>>().map((x) => x.id)).toEqual(['critical', 'numeric', 'low']);
  });

  it('refuses a missing dependency (with a suggestion) unless --allow-phantom; refuses self-deps, empty titles and taken ids', async (ctx) => {
    const q = await tmp.project(ctx);
    ok(await q.wg(['add', 'Setup', '--id', 'setup']));
    const missing = await q.wg(['add', 'X', '--after', 'setpu']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("dependency 'setpu' does not exist");
    expect(missing.stderr).toContain("hint: did you mean 'setup'?");
    const phantom = await q.wg(['add', 'X', '--id', 'x', '--after', 'ghost', '--allow-phantom']);
    ok(phantom);
    expect(task(q, 'x').after).toEqual(['ghost']);
    expect((await q.wg(['add', 'Self', '--id', 'self', '--after', 'self'])).code).not.toBe(0);
    expect((await q.wg(['add', ''])).code).not.toBe(0);
    const dup = await q.wg(['add', 'Again', '--id', 'setup']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("task 'setup' already exists");
    expect(graphTasks(q.readGraph()).map((t) => t.id)).toEqual(['setup', 'x']);
  });
});

describe.concurrent('wg edit', () => {
  it('changes each field and reports what changed', async (ctx) => {
    const q = await tmp.project(ctx);
    ok(await q.wg(['add', 'Dep', '--id', 'dep']));
    ok(await q.wg(['add', 'Dep two', '--id', 'dep2']));
    ok(await q.wg(['add', 'Target', '--id', 't', '--tag', 'old']));
    const r = await q.wg([
      'edit', 't', '--title', 'New title', '-d', 'new description', '-p', '77', '--model', 'm1', '--exec', 'make',
      '--add-tag', 'new', '--remove-tag', 'old', '--add-after', 'dep,dep2', '--max-retries', '4', '--timeout', '1h',
      '--not-before', '2031-05-06T07:08:09Z',
    ]);
    ok(r);
    expect(r.stdout).toMatch(/^Updated 't': /);
    for (const f of ['title', 'description', 'priority', 'model', 'exec', 'tags', 'after', 'max_retries', 'timeout', 'not_before']) expect(r.stdout).toContain(f);
    let t = task(q, 't');
    expect(t).toMatchObject({
      title: 'New title',
      description: 'new description',
      priority: 77,
      model: 'm1',
      exec: 'make',
      tags: ['new'],
      after: ['dep', 'dep2'],
      max_retries: 4,
      timeout: '1h',
    });
    expect(Date.parse(t.not_before as string)).toBe(Date.parse('2031-05-06T07:08:09Z'));
    expect(task(q, 'dep').before).toEqual(['t']);

    const j = await q.wg(['edit', 't', '--remove-after', 'dep', '--model', '', '--timeout', '', '--not-before', '', '-p', 'idle', '--json']);
    ok(j);
    expect(j.json<{ changed: string[] }>().changed).toEqual(expect.arrayContaining(['after', 'model', 'timeout', 'not_before', 'priority']));
    t = task(q, 't');
    expect(t.after).toEqual(['dep2']);
    expect(t.priority).toBe(0);
    expect(t.model).toBeUndefined();
    expect(t.timeout).toBeUndefined();
    expect(t.not_before).toBeUndefined();
    expect(task(q, 'dep').before).toBeUndefined();
  });

  it('an edit that changes nothing writes nothing (bytes identical, no operations line)', async (ctx) => {
    const q = await tmp.project(ctx);
    ok(await q.wg(['add', 'Same', '--id', 's', '--tag', 'x', '-p', '20']));
    const bytes = q.readGraph();
    const inode = statSync(q.graphPath).ino;
    const ops = operations(q.wgDir).length;
    const none = await q.wg(['edit', 's']);
    ok(none);
    expect(none.stdout).toBe("No changes made to 's'\n");
    const same = await q.wg(['edit', 's', '--title', 'Same', '--add-tag', 'x', '-p', '20', '--json']);
    ok(same);
    expect(same.json<{ changed: string[] }>().changed).toEqual([]);
    expect(q.readGraph()).toBe(bytes);
    expect(statSync(q.graphPath).ino).toBe(inode); // not even rewritten with the same bytes
    expect(operations(q.wgDir).length).toBe(ops);
  });

  it('refuses a dependency cycle without cycle_config', async (ctx) => {
    const q = await tmp.project(ctx);
    ok(await q.wg(['add', 'A', '--id', 'a']));
    ok(await q.wg(['add', 'B', '--id', 'b', '--after', 'a']));
    const bytes = q.readGraph();
    const r = await q.wg(['edit', 'a', '--add-after', 'b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cycle');
    expect(q.readGraph()).toBe(bytes);
  });
});

describe.concurrent('wg list / ready / status', () => {
  it('filters by --status, --tag, --paused; hides dot tasks unless --all', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'alpha', title: 'Alpha', tags: ['ui', 'web'] },
      { id: 'beta', title: 'Beta', tags: ['ui'] },
      { id: 'gamma', title: 'Gamma', paused: true },
      { id: '.evaluate-alpha', title: 'Eval alpha', after: ['alpha'] },
    ]);
    ok(await q.wg(['claim', 'beta']));

    const human = await q.wg(['list']);
    ok(human);
    expect(human.stdout.trim().split('\n')).toEqual(['[ ] alpha - Alpha [ui, web]', '[~] beta - Beta (tester) [ui]', '[ ] gamma - Gamma [PAUSED]']);
    const ids = async (args: string[]): Promise<string[]> => (await q.wg(['list', '--json', ...args])).json<Task[]>().map((t) => t.id);
    expect(await ids([])).toEqual(['alpha', 'beta', 'gamma']);
    expect(await ids(['--all'])).toEqual(['alpha', 'beta', 'gamma', '.evaluate-alpha']);
    expect(await ids(['--status', 'in-progress'])).toEqual(['beta']);
    expect(await ids(['--tag', 'ui'])).toEqual(['alpha', 'beta']);
    expect(await ids(['--tag', 'ui', '--tag', 'web'])).toEqual(['alpha']);
    expect(await ids(['--paused'])).toEqual(['gamma']);
    // rows are task objects
    const row = (await q.wg(['list', '--json', '--status', 'in-progress'])).json<Task[]>()[0]!;
    expect(row).toMatchObject({ id: 'beta', title: 'Beta', status: 'in-progress', assigned: 'tester', claim_epoch: 1 });
    expect((await q.wg(['list', '--status', 'done'])).stdout).toBe('No tasks found\n');
    expect((await q.wg(['list', '--status', 'nonsense'])).code).toBe(2);
  });

  it('ready lists ready tasks by priority; --json rows are {id,title,priority,assigned,ready}', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'low', title: 'Low', priority: 1 },
      { id: 'high', title: 'High', priority: 90 },
      { id: 'blocked', title: 'Blocked', after: ['low'] },
    ]);
    const rows = (await q.wg(['ready', '--json'])).json<Array<Record<string, unknown>>>();
    expect(rows).toEqual([
      { id: 'high', title: 'High', priority: 90, assigned: null, ready: true },
      { id: 'low', title: 'Low', priority: 1, assigned: null, ready: true },
    ]);
    const human = await q.wg(['ready']);
    ok(human);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toBe('Ready tasks:');
    expect(lines[1]).toMatch(/^ {2}high\s+High\s+p90$/);
    expect(lines[2]).toMatch(/^ {2}low\s+Low\s+p1$/);
    // aligned: the title column starts at the same offset
    expect(lines[1]!.indexOf('High')).toBe(lines[2]!.indexOf('Low '));
  });

  it('status summarizes counts, in-progress and ready tasks', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'one', title: 'One' },
      { id: 'two', title: 'Two', after: ['one'] },
      { id: 'three', title: 'Three' },
      { id: 'four', title: 'Four', paused: true },
    ]);
    ok(await q.wg(['claim', 'three']));
    const j = (await q.wg(['status', '--json'])).json<{
      service: { running: boolean };
      counts: Record<string, number>;
      in_progress: Array<{ id: string; assigned: string }>;
      ready: Array<{ id: string }>;
    }>();
    expect(j.service.running).toBe(false);
    expect(j.counts).toMatchObject({ 'open': 3, 'in-progress': 1, 'ready': 1, 'blocked': 2, 'paused': 1, 'done': 0 });
    expect(j.in_progress).toEqual([expect.objectContaining({ id: 'three', assigned: 'tester' })]);
    expect(j.ready.map((r) => r.id)).toEqual(['one']);
    const h = await q.wg(['status']);
    ok(h);
    expect(h.stdout).toContain('Service: stopped');
    expect(h.stdout).toContain('Tasks: 1 in-progress, 1 ready, 2 blocked, 0 done, 0 failed, 0 abandoned, 1 paused');
    expect(h.stdout).toMatch(/In progress:\n {2}three\s+tester\s+Three/);
    expect(h.stdout).toMatch(/Ready:\n {2}one\s+One/);
  });
});

describe.concurrent('wg claim / unclaim', () => {
  it('claims for $WG_USER by default, for --actor, and bumps claim_epoch on every change of owner', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    const r = await q.wg(['claim', 'a']);
    ok(r);
    expect(r.stdout).toBe("Claimed 'a' for tester (epoch 1)\n");
    let t = task(q, 'a');
    expect(t).toMatchObject({ status: 'in-progress', assigned: 'tester', claim_epoch: 1 });
    expect(typeof t.started_at).toBe('string');
    // claiming your own claim again is a no-op success
    const again = await q.wg(['claim', 'a', '--json']);
    ok(again);
    expect(again.json<{ already: boolean }>().already).toBe(true);
    // someone else is refused
    const other = await q.wg(['claim', 'a', '--actor', 'bob']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('already claimed by tester');

    const u = await q.wg(['unclaim', 'a']);
    ok(u);
    expect(u.stdout).toBe("Unclaimed 'a' (was tester)\n");
    t = task(q, 'a');
    expect(t).toMatchObject({ status: 'open', claim_epoch: 2 });
    expect(t.assigned).toBeUndefined();

    const bob = await q.wg(['claim', 'a', '--actor', 'bob', '--json']);
    ok(bob);
    expect(bob.json<{ claimed: string; task: Task }>()).toMatchObject({ claimed: 'a', task: { assigned: 'bob', claim_epoch: 3 } });
    const uj = await q.wg(['unclaim', 'a', '--json']);
    expect(uj.json<{ was: string; task: Task }>()).toMatchObject({ was: 'bob', task: { status: 'open', claim_epoch: 4 } });
  });

  it('claim --next takes the highest-priority ready, unclaimed task; none left → exit 1', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'low', title: 'Low', priority: 1 },
      { id: 'high', title: 'High', priority: 50 },
      { id: 'later', title: 'After high', priority: 99, after: ['high'] },
    ]);
    const n1 = await q.wg(['claim', '--next', '--actor', 'agent-7', '--json']);
    ok(n1);
    expect(n1.json<{ claimed: string }>().claimed).toBe('high');
    expect(task(q, 'high').assigned).toBe('agent-7');
    const n2 = await q.wg(['claim', '--next']);
    ok(n2);
    expect(n2.stdout).toBe("Claimed 'low' for tester (epoch 1)\n");
    const none = await q.wg(['claim', '--next', '--json']);
    expect(none.code).toBe(1);
    expect(none.json<{ claimed: null }>().claimed).toBeNull();
    expect((await q.wg(['claim'])).code).toBe(2);
  });

  it('refuses a task that is not ready, naming its blockers, unless --force', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'base', title: 'Base' },
      { id: 'top', title: 'Top', after: ['base'] },
    ]);
    const bytes = q.readGraph();
    const r = await q.wg(['claim', 'top']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: task 'top' is not ready: .*base/);
    expect(q.readGraph()).toBe(bytes);
    ok(await q.wg(['claim', 'top', '--force']));
    expect(task(q, 'top')).toMatchObject({ status: 'in-progress', assigned: 'tester' });
  });
});

describe.concurrent('wg done / fail / abandon', () => {
  it('done completes a task, is idempotent, and unblocks dependents', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B', after: ['a'] },
    ]);
    const early = await q.wg(['done', 'b']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('a');
    ok(await q.wg(['claim', 'a']));
    const d = await q.wg(['done', 'a']);
    ok(d);
    expect(d.stdout).toBe("Marked 'a' as done\n");
    expect(task(q, 'a')).toMatchObject({ status: 'done', assigned: 'tester' });
    expect(typeof task(q, 'a').completed_at).toBe('string');
    const bytes = q.readGraph();
    const again = await q.wg(['done', 'a', '--json']);
    ok(again);
    expect(again.json<{ already: boolean }>().already).toBe(true);
    expect(q.readGraph()).toBe(bytes);
    expect((await q.wg(['ready', '--json'])).json<Array<{ id: string }>>().map((x) => x.id)).toEqual(['b']);
    // done works straight from open too
    ok(await q.wg(['done', 'b']));
    expect(task(q, 'b').status).toBe('done');
  });

  it('fail records --reason and --class; unknown class is a usage error; done on failed names wg retry', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    ok(await q.wg(['claim', 'a']));
    const bad = await q.wg(['fail', 'a', '--class', 'bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown failure class 'bogus'");
    expect(task(q, 'a').status).toBe('in-progress');
    const f = await q.wg(['fail', 'a', '--reason', 'tests broke', '--class', 'api-error-429-rate-limit']);
    ok(f);
    expect(f.stdout).toBe("Marked 'a' as failed (tests broke)\n");
    // The Rust CLI spelling in, the on-disk spelling written.
    expect(task(q, 'a')).toMatchObject({ status: 'failed', failure_reason: 'tests broke', failure_class: 'api-error429-rate-limit' });
    const again = await q.wg(['fail', 'a', '--json']);
    ok(again);
    expect(again.json<{ already: boolean }>().already).toBe(true);
    const done = await q.wg(['done', 'a']);
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/^error: task 'a' is failed .*wg retry a/);
  });

  it('abandon is terminal, records the reason and unblocks dependents', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B', after: ['a'] },
    ]);
    const r = await q.wg(['abandon', 'a', '--reason', 'not needed']);
    ok(r);
    expect(r.stdout).toBe("Abandoned 'a'\n");
    expect(task(q, 'a')).toMatchObject({ status: 'abandoned', failure_reason: 'not needed' });
    expect((await q.wg(['abandon', 'a', '--json'])).json<{ already: boolean }>().already).toBe(true);
    expect((await q.wg(['ready', '--json'])).json<Array<{ id: string }>>().map((x) => x.id)).toEqual(['b']);
    ok(await q.wg(['done', 'b']));
    const notDone = await q.wg(['abandon', 'b']);
    expect(notDone.code).toBe(1);
  });
});

describe.concurrent('wg log / artifact', () => {
  it('log appends entries and lists them', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    expect((await q.wg(['log', 'a'])).stdout).toBe("No log entries for 'a'\n");
    ok(await q.wg(['log', 'a', 'first note']));
    const j = await q.wg(['log', 'a', 'second note', '--actor', 'carol', '--json']);
    ok(j);
    expect(j.json<{ task_id: string; entry: Record<string, unknown> }>()).toMatchObject({ task_id: 'a', entry: { actor: 'carol', message: 'second note' } });
    const list = await q.wg(['log', 'a']);
    ok(list);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z\s+\[tester\] first note$/);
    expect(lines[1]).toMatch(/\[carol\] second note$/);
    const jl = (await q.wg(['log', 'a', '--json'])).json<Array<{ message: string; timestamp: string }>>();
    expect(jl.map((e) => e.message)).toEqual(['first note', 'second note']);
    expect((await q.wg(['log', 'a', '   '])).code).toBe(2);
  });

  it('artifact adds, lists and --removes paths', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    expect((await q.wg(['artifact', 'a'])).stdout).toBe("No artifacts on 'a'\n");
    expect((await q.wg(['artifact', 'a', 'out/report.md'])).stdout).toBe("Recorded artifact out/report.md on 'a'\n");
    ok(await q.wg(['artifact', 'a', 'https://example.com/pr/1']));
    const dup = await q.wg(['artifact', 'a', 'out/report.md', '--json']);
    expect(dup.json<{ changed: boolean }>().changed).toBe(false);
    expect(task(q, 'a').artifacts).toEqual(['out/report.md', 'https://example.com/pr/1']);
    expect((await q.wg(['artifact', 'a'])).stdout).toBe('out/report.md\nhttps://example.com/pr/1\n');
    const rm = await q.wg(['artifact', 'a', 'out/report.md', '--remove', '--json']);
    ok(rm);
    expect(rm.json<{ artifacts: string[]; changed: boolean }>()).toEqual({ task_id: 'a', artifacts: ['https://example.com/pr/1'], changed: true });
    expect((await q.wg(['artifact', 'a', '--json'])).json<string[]>()).toEqual(['https://example.com/pr/1']);
  });
});

describe.concurrent('wg add-dep / rm-dep / blocked / why-blocked', () => {
  it('add-dep and rm-dep keep after and before consistent, and are idempotent', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B' },
    ]);
    const add = await q.wg(['add-dep', 'b', 'a']);
    ok(add);
    expect(add.stdout).toBe("Linked: 'b' after 'a'\n");
    expect(task(q, 'b').after).toEqual(['a']);
    expect(task(q, 'a').before).toEqual(['b']);
    expect((await q.wg(['add-dep', 'b', 'a', '--json'])).json<{ changed: boolean }>().changed).toBe(false);
    expect((await q.wg(['add-dep', 'a', 'b'])).code).toBe(1); // would be a cycle
    expect((await q.wg(['add-dep', 'b', 'nope'])).code).toBe(1);
    const rm = await q.wg(['rm-dep', 'b', 'a']);
    ok(rm);
    expect(rm.stdout).toBe("Unlinked: 'b' after 'a'\n");
    expect(task(q, 'b').after).toBeUndefined();
    expect(task(q, 'a').before).toBeUndefined();
    expect((await q.wg(['rm-dep', 'b', 'a', '--json'])).json<{ changed: boolean }>().changed).toBe(false);
  });

  it('blocked names direct blockers; why-blocked finds root causes through a chain', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'root', title: 'Root' },
      { id: 'mid', title: 'Mid', after: ['root'] },
      { id: 'leaf', title: 'Leaf', after: ['mid'] },
    ]);
    ok(await q.wg(['fail', 'root', '--reason', 'broken']));

    const b = await q.wg(['blocked', 'leaf']);
    ok(b);
    expect(b.stdout).toBe("'leaf' is blocked by:\n  mid (open)\n");
    expect((await q.wg(['blocked', 'leaf', '--json'])).json()).toEqual({ id: 'leaf', ready: false, blockers: [{ kind: 'dependency', id: 'mid', status: 'open' }] });

    const w = await q.wg(['why-blocked', 'leaf']);
    ok(w);
    expect(w.stdout).toContain("'leaf' is not ready:\n  mid (open)");
    expect(w.stdout).toMatch(/Root causes:\n {2}root: .*failed.*\(via mid\)/);
    const wj = (await q.wg(['why-blocked', 'leaf', '--json'])).json<{ ready: boolean; root_causes: Array<{ id: string; path: string[] }> }>();
    expect(wj.ready).toBe(false);
    expect(wj.root_causes.map((r) => r.id)).toEqual(['root']);
    expect(wj.root_causes[0]!.path).toEqual(['leaf', 'mid', 'root']);

    expect((await q.wg(['blocked', 'root'])).code).toBe(0);
    ok(await q.wg(['add', 'Free', '--id', 'free']));
    expect((await q.wg(['blocked', 'free'])).stdout).toBe("'free' is ready\n");
    expect((await q.wg(['why-blocked', 'free', '--json'])).json<{ ready: boolean }>().ready).toBe(true);
  });
});

describe.concurrent('wg check', () => {
  it('OK on a clean graph; a dangling dependency is an error (exit 1)', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    const clean = await q.wg(['check']);
    ok(clean);
    expect(clean.stdout).toBe('OK: 1 tasks, no problems found\n');
    ok(await q.wg(['add', 'B', '--id', 'b', '--after', 'ghost', '--allow-phantom']));
    const r = await q.wg(['check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^error: 'b' depends on 'ghost', which does not exist/m);
    const j = await q.wg(['check', '--json']);
    expect(j.code).toBe(1);
    expect(j.json<{ ok: boolean; findings: Array<{ level: string; kind: string; task_id: string }> }>()).toMatchObject({
      ok: false,
      findings: [{ level: 'error', kind: 'dangling-dependency', task_id: 'b' }],
    });
  });

  it('an unconfigured cycle and claims by agents unknown to the registry are warnings (exit 0)', async (ctx) => {
    const q = await tmp.project(ctx);
    writeFileSync(
      q.graphPath,
      [
        '{"kind":"task","id":"x","title":"X","status":"open","priority":10,"before":["y"],"after":["y"]}',
        '{"kind":"task","id":"y","title":"Y","status":"open","priority":10,"before":["x"],"after":["x"]}',
        '{"kind":"task","id":"z","title":"Z","status":"in-progress","priority":10,"assigned":"agent-42","claim_epoch":1}',
        '{"kind":"task","id":"w","title":"W","status":"in-progress","priority":10,"assigned":"agent-1","claim_epoch":1}',
        '{"kind":"task","id":"h","title":"H","status":"in-progress","priority":10,"assigned":"alice","claim_epoch":1}',
      ].join('\n') + '\n',
    );
    writeRegistry(q.wgDir, [{ id: 'agent-1', task_id: 'w' }]);
    const r = await q.wg(['check', '--json']);
    expect(r.code).toBe(0);
    const f = r.json<{ ok: boolean; findings: Array<{ level: string; kind: string; task_id: string }> }>();
    expect(f.ok).toBe(true);
    expect(f.findings.every((x) => x.level === 'warning')).toBe(true);
    const kinds = f.findings.map((x) => `${x.kind}:${x.task_id}`);
    expect(kinds).toContain('unknown-agent-claim:z');
    expect(kinds.some((k) => k.startsWith('unconfigured-cycle:'))).toBe(true);
    // a live registered agent and a human claim are fine
    expect(kinds.filter((k) => k.endsWith(':w') || k.endsWith(':h'))).toEqual([]);
    const h = await q.wg(['check']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^warning: cycle without cycle_config/m);
    expect(h.stdout).toMatch(/^warning: 'z' is claimed by agent-42, which is not in the agent registry/m);
  });
});

describe.concurrent('wg pause / resume', () => {
  it('toggles paused without changing the status; paused tasks are not ready', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    const r = await q.wg(['pause', 'a']);
    ok(r);
    expect(r.stdout).toBe("Paused 'a'\n");
    expect(task(q, 'a')).toMatchObject({ status: 'open', paused: true });
    expect((await q.wg(['ready', '--json'])).json()).toEqual([]);
    expect((await q.wg(['list', '--paused', '--json'])).json<Task[]>().map((t) => t.id)).toEqual(['a']);
    expect((await q.wg(['pause', 'a', '--json'])).json<{ changed: boolean }>().changed).toBe(false);
    const res = await q.wg(['resume', 'a']);
    ok(res);
    expect(res.stdout).toBe("Resumed 'a'\n");
    expect(task(q, 'a').paused).toBeUndefined();
    expect((await q.wg(['ready', '--json'])).json<Array<{ id: string }>>().map((x) => x.id)).toEqual(['a']);
    expect((await q.wg(['resume', 'a'])).stdout).toBe("'a' is not paused\n");
  });
});

describe.concurrent('wg heartbeat', () => {
  it('renews the lease in the registry without touching graph.jsonl', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    ok(await q.wg(['claim', 'a', '--actor', 'agent-1']));
    const regPath = writeRegistry(q.wgDir, [{ id: 'agent-1', task_id: 'a', claim_epoch: 1 }]);
    const bytes = q.readGraph();
    const ops = operations(q.wgDir).length;

    const r = await q.wg(['heartbeat', 'agent-1']);
    ok(r);
    expect(r.stdout).toBe('Heartbeat recorded for agent-1\n');
    const reg = JSON.parse(readFileSync(regPath, 'utf8')) as { agents: Record<string, { last_heartbeat?: string; pid: number }> };
    expect(Date.now() - Date.parse(reg.agents['agent-1']!.last_heartbeat!)).toBeLessThan(60_000);
    expect(reg.agents['agent-1']!.pid).toBe(999_999); // other fields kept

    // inside the agent: the id comes from $WG_AGENT_ID, fenced on the task and epoch
    const env = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 'a', WG_CLAIM_EPOCH: '1' };
    const j = await q.wg(['heartbeat', '--json'], env);
    ok(j);
    expect(j.json<{ agent: string; last_heartbeat: string }>().agent).toBe('agent-1');
    expect(q.readGraph()).toBe(bytes);
    expect(operations(q.wgDir).length).toBe(ops);
  });

  it('an unknown agent is an error; a lost claim is exit 3 and changes nothing', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [
      { id: 'a', title: 'A' },
    ]);
    ok(await q.wg(['claim', 'a', '--actor', 'agent-1']));
    const regPath = writeRegistry(q.wgDir, [{ id: 'agent-1', task_id: 'a', claim_epoch: 1 }]);
    const reg0 = readFileSync(regPath, 'utf8');

    const unknown = await q.wg(['heartbeat', 'agent-9']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: agent 'agent-9' is not in the registry\n/);
    expect((await q.wg(['heartbeat'])).code).toBe(2); // no agent given, none in the environment

    // the claim moves to another agent: the zombie's heartbeat is fenced
    ok(await q.wg(['unclaim', 'a']));
    ok(await q.wg(['claim', 'a', '--actor', 'agent-2']));
    const bytes = q.readGraph();
    const lost = await q.wg(['heartbeat'], { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 'a', WG_CLAIM_EPOCH: '1' });
    expect(lost.code).toBe(3);
    expect(lost.stderr).toMatch(/^error: claim lost: task 'a' is now held by agent-2 \(epoch 3\)\n/);
    expect(readFileSync(regPath, 'utf8')).toBe(reg0);
    expect(q.readGraph()).toBe(bytes);
  });
});
