/**
 * Issue 10, item 7 and 8: the Rust tool's spellings of commands, with its meaning, run with the
 * built `wg` on a copy of a project in the Rust format (test/fixtures/rust/plain-project, whose
 * dependencies are all `blocked_by`) — and after every mutating step, every file wg left
 * behind is loadable by the Rust tool (src/compat/rust-rules.ts). docs/rust-compat.md §7 has
 * the spellings as read from the Rust tool's CLI definitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirsPerTest } from '../helpers/project.js';
import { copyRustFixture } from '../helpers/rust-fixtures.js';
import { rustLoadProblems } from '../helpers/rust-loadable.js';
import { wgAsync, type WgResult } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

type Line = Record<string, unknown> & { id: string };

/** A copy of plain-project, and helpers that run wg from its docs/ subdirectory. */
function rustProject(parent: string) {
  const root = copyRustFixture('plain-project', parent);
  const graph = join(root, '.workgraph', 'graph.jsonl');
  const cwd = join(root, 'docs');
  const run = (args: string[]): Promise<WgResult> => wgAsync(cwd, args);
  const ok = async (args: string[]): Promise<WgResult> => {
    const r = await run(args);
    expect(r.code, `wg ${args.join(' ')}: ${r.stderr}`).toBe(0);
    // Every mutating step leaves files the Rust tool loads.
    expect(rustLoadProblems(root), `after wg ${args.join(' ')}`).toEqual([]);
    return r;
  };
  const lines = (): Line[] => readFileSync(graph, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Line);
  const task = (id: string): Line => lines().find((l) => l.id === id && l.kind !== 'actor')!;
  return { root, graph, cwd, run, ok, task };
}

describe('the Rust spellings of commands', () => {
  it('wg agent create NAME (positional), --motivation, and the descriptive flags; wg tradeoff add --accept/--reject without a description', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    await p.ok(['role', 'add', 'coder', '-d', 'Writes code']);
    const t = (await p.ok(['tradeoff', 'add', 'careful', '--accept', 'slow', '--accept', 'verbose', '--reject', 'untested', '--json'])).json<{ tradeoff: { description: string; acceptable: string[]; unacceptable: string[] } }>();
    expect(t.tradeoff).toMatchObject({ description: '', acceptable: ['slow', 'verbose'], unacceptable: ['untested'] });
    // wg's own spellings still work, and mix with the Rust ones.
    const mixed = (await p.ok(['tradeoff', 'add', 'fast', '-d', 'Speed first', '--acceptable', 'rough', '--accept', 'terse', '--json'])).json<{ tradeoff: { acceptable: string[] } }>();
    expect(mixed.tradeoff.acceptable).toEqual(['rough', 'terse']);

    const a = (await p.ok(['agent', 'create', 'alice', '--role', 'coder', '--motivation', 'careful', '--capabilities', 'rust,docs', '--rate', '2.5', '--trust-level', 'verified', '--json'])).json<{ agent: Record<string, unknown>; created: boolean }>();
    expect(a.created).toBe(true);
    expect(a.agent).toMatchObject({ name: 'alice', capabilities: ['rust', 'docs'], rate: 2.5, trust_level: 'verified' });
    const listed = (await p.ok(['agent', 'list', '--json'])).json<Array<{ name?: string }>>();
    expect(listed.map((x) => x.name)).toEqual(['alice']);

    const twoNames = await p.run(['agent', 'create', 'bob', '--name', 'carol', '--role', 'coder', '--tradeoff', 'careful']);
    expect(twoNames.code).toBe(2);
    expect(twoNames.stderr).toBe("error: two names given: 'bob' and --name 'carol'\nhint: give the name once\n");
    const noRole = await p.run(['agent', 'create', 'dave']);
    expect(noRole.code).toBe(2);
    expect(noRole.stderr.split('\n')[0]).toBe('error: an agent identity needs --role and --tradeoff');
    const badTrust = await p.run(['agent', 'create', 'erin', '--role', 'coder', '--tradeoff', 'careful', '--trust-level', 'total']);
    expect(badTrust.code).toBe(2);
    expect(badTrust.stderr.split('\n')[0]).toBe("error: invalid --trust-level 'total'");
  });

  it('wg evaluate record --task T; wg log T --list', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    const e = (await p.ok(['evaluate', 'record', '--task', 'write-parser', '--score', '0.9', '--source', 'manual', '--notes', 'clean', '--json'])).json<{ evaluation: Record<string, unknown> }>();
    expect(e.evaluation).toMatchObject({ task_id: 'write-parser', score: 0.9, source: 'manual', notes: 'clean' });
    const both = await p.run(['evaluate', 'record', 'write-parser', '--task', 'add-tests', '--score', '0.5']);
    expect(both.code).toBe(2);
    expect(both.stderr.split('\n')[0]).toBe("error: two tasks given: 'write-parser' and --task 'add-tests'");
    const none = await p.run(['evaluate', 'record', '--score', '0.5']);
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('error: which task? give its id');

    await p.ok(['log', 'add-tests', 'first note', '--actor', 'erik']);
    const listed = await p.ok(['log', 'add-tests', '--list']);
    expect(listed.stdout).toMatch(/\[erik\] first note\n$/);
    expect((await p.ok(['log', 'add-tests'])).stdout).toBe(listed.stdout);
    const both2 = await p.run(['log', 'add-tests', 'x', '--list']);
    expect(both2.code).toBe(2);
    expect(both2.stderr.split('\n')[0]).toBe('error: --list lists the log: give no message with it');
  });

  it('wg abandon T --superseded-by U,V stores superseded_by; an unknown id is refused and nothing is written', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    const before = readFileSync(p.graph);
    const unknown = await p.run(['abandon', 'collect-feedback', '--superseded-by', 'release,nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toMatch(/'nope'/);
    expect(readFileSync(p.graph).equals(before)).toBe(true);
    await p.ok(['abandon', 'collect-feedback', '--superseded-by', 'release,add-tests', '--reason', 'folded into the release']);
    const t = p.task('collect-feedback');
    expect(t).toMatchObject({ status: 'abandoned', superseded_by: ['release', 'add-tests'], failure_reason: 'folded into the release' });
    expect(t.blocked_by).toEqual(['release']); // dependencies untouched: their spelling too
  });

  it('wg retry T --fresh clears the previous session; without it the session is kept', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    // Two failed tasks with a session and a checkpoint, as the Rust tool leaves them.
    const text = readFileSync(p.graph, 'utf8');
    const extra = ['a', 'b'].map((id) => JSON.stringify({ kind: 'task', id: `retry-${id}`, title: `Retry ${id}`, status: 'failed', failure_reason: 'boom', failure_class: 'agent-exit-nonzero', session_id: `sess-${id}`, checkpoint: `cp-${id}`, retry_count: 1 }));
    writeFileSync(p.graph, text + extra.join('\n') + '\n');
    await p.ok(['retry', 'retry-a', '--fresh']);
    await p.ok(['retry', 'retry-b']);
    const a = p.task('retry-a');
    const b = p.task('retry-b');
    expect(a).toMatchObject({ status: 'open', retry_count: 2 });
    expect(a.session_id).toBeUndefined();
    expect(a.checkpoint).toBeUndefined();
    expect(a.failure_class).toBeUndefined();
    expect(b).toMatchObject({ status: 'open', retry_count: 2, session_id: 'sess-b', checkpoint: 'cp-b' });
    expect((a.log as Array<{ message: string }>).at(-1)!.message).toMatch(/\(fresh start\)$/);
  });

  it('wg resume T resumes the paused tasks downstream of it (through unpaused ones); --only resumes just T', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    // release ← collect-feedback (blocked_by); pause add-tests, release (downstream via blocked_by) and collect-feedback.
    for (const id of ['add-tests', 'collect-feedback']) await p.ok(['pause', id]);
    const only = (await p.ok(['resume', 'add-tests', '--only', '--json'])).json<{ changed: boolean; downstream: string[] }>();
    expect(only).toMatchObject({ changed: true, downstream: [] });
    expect(p.task('collect-feedback').paused).toBe(true);

    await p.ok(['pause', 'add-tests']);
    const all = await p.ok(['resume', 'add-tests']);
    // add-tests → release (not paused, walked through) → collect-feedback (paused): resumed too.
    expect(all.stdout.trim()).toBe("Resumed 'add-tests' and 1 downstream task(s): collect-feedback");
    expect(p.task('collect-feedback').paused).toBeUndefined();
    expect(p.task('release').paused).toBeUndefined();
    expect((p.task('collect-feedback').log as Array<{ message: string }>).at(-1)!.message).toBe("Task resumed (downstream of 'add-tests')");
    // Not paused: a no-op success that touches nothing.
    const again = await p.ok(['resume', 'add-tests']);
    expect(again.stdout.trim()).toBe("'add-tests' is not paused");
  });

  it('wg resume refuses, changing nothing, when a task downstream depends on a task that does not exist (--only is the way out)', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    writeFileSync(p.graph, readFileSync(p.graph, 'utf8') + JSON.stringify({ kind: 'task', id: 'follow-up', title: 'Follow up', status: 'open', paused: true, blocked_by: ['collect-feedback', 'gone-task'] }) + '\n');
    await p.ok(['pause', 'release']);
    const before = readFileSync(p.graph);
    const r = await p.run(['resume', 'release']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: cannot resume 'release': 'follow-up' depends on 'gone-task', which does not exist\nhint: remove the dependency (wg rm-dep follow-up gone-task) or resume 'release' alone (--only)\n");
    expect(readFileSync(p.graph).equals(before)).toBe(true);
    await p.ok(['resume', 'release', '--only']);
    expect(p.task('release').paused).toBeUndefined();
    expect(p.task('follow-up').paused).toBe(true);
  });
});

describe('dependencies spelled blocked_by, written back as the Rust tool reads them', () => {
  it('rm-dep, add-dep and edit --add-after on blocked_by tasks write one field, after; untouched lines keep their bytes', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    const original = readFileSync(p.graph, 'utf8').split('\n');
    await p.ok(['rm-dep', 'release', 'add-tests']);
    expect(p.task('release').after).toEqual(['write-docs']);
    expect(p.task('release').blocked_by).toBeUndefined();
    await p.ok(['edit', 'collect-feedback', '--add-after', 'add-tests']);
    expect(p.task('collect-feedback').after).toEqual(['release', 'add-tests']);
    expect(p.task('collect-feedback').blocked_by).toBeUndefined();
    await p.ok(['add-dep', 'add-tests', 'write-docs']);
    expect(p.task('add-tests').after).toEqual(['write-parser', 'write-docs']);
    // Lines whose task was not written are byte for byte the fixture's.
    const now = readFileSync(p.graph, 'utf8').split('\n');
    for (const i of [0, 1, 2]) expect(now[i]).toBe(original[i]);
    // The dependency is honoured: add-tests now waits for write-docs (in progress).
    const ready = (await p.ok(['ready', '--json'])).json<Array<{ id: string }>>();
    expect(ready.map((t) => t.id)).toEqual([]);
    expect((await p.ok(['why-blocked', 'add-tests'])).stdout).toContain('write-docs (in-progress)');
  });

  it('fail --class takes the CLI and the on-disk spelling, writes the on-disk one, and refuses any other naming the six', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    await p.ok(['fail', 'add-tests', '--class', 'api-error-429-rate-limit', '--reason', 'rate limited']);
    expect(p.task('add-tests')).toMatchObject({ status: 'failed', failure_class: 'api-error429-rate-limit', failure_reason: 'rate limited' });
    await p.ok(['retry', 'add-tests']);
    await p.ok(['fail', 'add-tests', '--class', 'api-error5xx-transient']);
    expect(p.task('add-tests').failure_class).toBe('api-error5xx-transient');
    await p.ok(['retry', 'add-tests']);
    const before = readFileSync(p.graph);
    for (const bad of ['agent-died', 'eval-rejected', 'API-ERROR-400-DOCUMENT']) {
      const r = await p.run(['fail', 'add-tests', '--class', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toBe(
        `error: unknown failure class '${bad}'\nhint: use one of: api-error-400-document, api-error-429-rate-limit, api-error-5xx-transient, agent-hard-timeout, agent-exit-nonzero, wrapper-internal — or describe the cause with --reason\n`,
      );
    }
    expect(readFileSync(p.graph).equals(before)).toBe(true);
  });

  it('wg check does not warn about before/after mirrors the Rust tool leaves; --strict lists them', async (ctx) => {
    const p = rustProject(tmp.bare(ctx).dir);
    const plain = await p.ok(['check']);
    expect(plain.stdout).toBe('OK: 6 tasks, no problems found\n');
    expect(plain.stderr).toBe('');
    const strict = await p.run(['check', '--strict']);
    expect(strict.code).toBe(0);
    const warnings = strict.stdout.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings[0]).toBe("warning: 'set-up-repo'.before lacks 'write-parser' (the mirror of 'write-parser'.after)");
    expect(warnings).toHaveLength(6); // one per blocked_by edge of the fixture
  });
});
