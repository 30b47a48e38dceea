/**
 * Long-lived graphs on the built `wg`: `wg archive` (what moves, what stays, byte-exact lines,
 * search, restore), dependencies on archived tasks satisfied everywhere readiness is asked
 * (ready, claim, done, the service's dispatcher), what remains loadable by the Rust tool,
 * `wg gc`, `wg agents` (live by default, --all), and `wg cycles`.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRegistry } from '../helpers/files.js';
import { serviceHarness } from '../helpers/daemon.js';
import { project, type Project } from '../helpers/project.js';
import { rustLoadsGraph } from '../../src/compat/rust-rules.js';

const svc = serviceHarness();

const OLD = '2026-01-01T00:00:00.000Z';
const ids = (r: { stdout: string }): string[] => (JSON.parse(r.stdout) as Array<{ id: string }>).map((t) => t.id);

function seedLongLived(pr: Project): void {
  pr.seed([
    { id: 'old-done', status: 'done', completed_at: OLD, tags: ['backend'], description: 'the login page' },
    { id: 'old-abandoned', status: 'abandoned', completed_at: OLD },
    { id: 'old-failed', status: 'failed', completed_at: OLD },
    { id: 'recent-done', status: 'done', completed_at: new Date().toISOString() },
    { id: 'next', after: ['old-done', 'old-abandoned'] },
    { id: 'later', after: ['recent-done'] },
    { id: 'loop-a', status: 'done', completed_at: OLD, after: ['loop-b'] },
    { id: 'loop-b', status: 'done', completed_at: OLD, after: ['loop-a'], cycle_config: { max_iterations: 3 } },
    { id: '.evaluate-old-done', status: 'done', completed_at: OLD, after: ['old-done'] },
  ]);
}

describe('wg archive', () => {
  it('moves old done/abandoned tasks byte for byte; keeps recent, failed, loop members and system tasks; dependents stay ready', () => {
    const p = svc.track(project());
    seedLongLived(p);
    const lineOf = (id: string): string => p.line(id);
    const before = { d: lineOf('old-done'), a: lineOf('old-abandoned') };
    expect(ids(p.ok(['ready', '--json']))).toEqual(['next', 'later']);
    const r = p.ok(['archive', '--older-than', '30d', '--json']).json<{ archived: string[]; kept: Array<{ id: string }> }>();
    expect(r.archived).toEqual(['old-done', 'old-abandoned']);
    expect(r.kept.map((k) => k.id).sort()).toEqual(['loop-a', 'loop-b']);
    expect(p.tasks().map((t) => t.id)).toEqual(['old-failed', 'recent-done', 'next', 'later', 'loop-a', 'loop-b', '.evaluate-old-done']);
    expect(readFileSync(join(p.wgDir, 'archive.jsonl'), 'utf8')).toBe(`${before.d}\n${before.a}\n`);
    // the dependency on archived tasks still counts as satisfied: ready, claim, done
    expect(ids(p.ok(['ready', '--json']))).toEqual(['next', 'later']);
    expect(p.ok(['why-blocked', 'next']).stdout).not.toMatch(/old-done/);
    p.ok(['claim', 'next', '--actor', 'alice']);
    p.ok(['done', 'next']);
    // what remains loads in the Rust tool
    expect(rustLoadsGraph(readFileSync(p.graphPath)).errors).toEqual([]);
    // nothing more to do
    expect(p.ok(['archive', '--older-than', '30d']).stdout).toMatch(/kept loop-a/);
  });

  it('searches and restores; a restore of an id that is back in the graph is refused and changes nothing', () => {
    const p = svc.track(project());
    seedLongLived(p);
    const original = p.line('old-done');
    p.ok(['archive', '--older-than', '1d']);
    const hits = p.ok(['archive', 'search', 'LOGIN', '--json']).json<Array<{ id: string; status: string }>>();
    expect(hits).toEqual([expect.objectContaining({ id: 'old-done', status: 'done' })]);
    expect(p.ok(['archive', 'search', 'backend']).stdout).toMatch(/old-done\s+done/);
    expect(p.ok(['archive', 'search', 'zzz']).stdout).toMatch(/No archived task matches 'zzz'/);
    expect(p.ok(['trace', 'show', 'old-done']).stdout).toMatch(/^old-done: OLD-DONE/);
    p.ok(['archive', 'restore', 'old-done']);
    expect(p.line('old-done')).toBe(original);
    expect(p.ok(['archive', 'search', '--json']).json<Array<{ id: string }>>().map((t) => t.id)).toEqual(['old-abandoned']);
    const missing = p.run(['archive', 'restore', 'old-done']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: task 'old-done' is not in the archive/);
    const usage = p.run(['archive', '--older-than', 'soon']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: invalid duration for --older-than: 'soon'/);
  });

  it('--dry-run changes nothing', () => {
    const p = svc.track(project());
    seedLongLived(p);
    const g = p.readGraph();
    const dry = p.ok(['archive', '--older-than', '1d', '--dry-run']).stdout;
    expect(dry, dry).toMatch(/Would archive 2 task\(s\)/);
    expect(p.readGraph()).toBe(g);
    expect(existsSync(join(p.wgDir, 'archive.jsonl'))).toBe(false);
  });

  it("the running service dispatches a task whose dependency was archived", async () => {
    const p = svc.project();
    p.seed([{ id: 'base', status: 'done', completed_at: OLD }]);
    const s = await svc.start(p);
    p.ok(['archive', '--older-than', '1d']);
    p.ok(['add', 'After base', '--id', 'after-base', '--after', 'base', '--exec', 'true']).stdout;
    await s.next('agent:exited', { task: 'after-base' });
    expect(p.task('after-base').status).toBe('done');
  });
});

describe('wg gc', () => {
  it('removes old terminal system tasks and finished agents’ directories; keeps live ones and the registry', () => {
    const p = svc.track(project());
    p.seed([
      { id: 'x', status: 'done', completed_at: OLD },
      { id: '.evaluate-x', status: 'done', completed_at: OLD, after: ['x'] },
      { id: '.assign-y', status: 'open' },
    ]);
    const dirs = ['agent-1', 'agent-2', 'agent-3'];
    for (const d of dirs) mkdirSync(join(p.wgDir, 'agents', d), { recursive: true });
    const old = new Date(OLD);
    utimesSync(join(p.wgDir, 'agents', 'agent-3'), old, old);
    writeRegistry(p.wgDir, [
      { id: 'agent-1', task_id: 'x', status: 'done', completed_at: OLD },
      { id: 'agent-2', task_id: 'y', status: 'working', host: 'elsewhere' },
    ]);
    expect(p.ok(['gc', '--dry-run']).stdout).toMatch(/Would remove 1 system task\(s\) and 2 agent dir\(s\)/);
    const r = p.ok(['gc', '--json']).json<{ tasks: string[]; agent_dirs: string[] }>();
    expect(r).toMatchObject({ tasks: ['.evaluate-x'], agent_dirs: ['agent-1', 'agent-3'] });
    expect(p.tasks().map((t) => t.id)).toEqual(['x', '.assign-y']);
    expect(dirs.map((d) => existsSync(join(p.wgDir, 'agents', d)))).toEqual([false, true, false]);
    expect(p.ok(['agents', '--all', '--json']).json<Array<{ id: string }>>().map((a) => a.id)).toEqual(['agent-1', 'agent-2']);
    expect(p.ok(['gc']).stdout).toMatch(/Nothing to collect/);
  });
});

describe('wg agents', () => {
  it('lists live agents by default and the history with --all', async () => {
    const p = svc.track(project());
    p.add('t1');
    p.add('t2');
    const { spawn } = await import('node:child_process');
    const live = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    p.extraPids.add(live.pid!);
    try {
      const { procStat } = await import('../helpers/proc.js');
      const { hostname } = await import('node:os');
      writeRegistry(p.wgDir, [
        { id: 'agent-1', task_id: 't1', status: 'done', completed_at: OLD },
        { id: 'agent-2', task_id: 't2', status: 'working', pid: live.pid!, host: hostname(), proc_start: procStat(live.pid!)!.start, started_at: new Date().toISOString(), last_heartbeat: new Date().toISOString() },
      ]);
      expect(p.ok(['agents', '--json']).json<Array<{ id: string }>>().map((a) => a.id)).toEqual(['agent-2']);
      expect(p.ok(['agents']).stdout).toMatch(/1 agent\(s\): 1 alive \(1 finished: wg agents --all\)/);
      expect(p.ok(['agents', '--all', '--json']).json<Array<{ id: string }>>().map((a) => a.id)).toEqual(['agent-1', 'agent-2']);
      expect(p.ok(['agents', '--dead', '--json']).json<Array<{ id: string }>>().map((a) => a.id)).toEqual(['agent-1']);
      expect(p.run(['agents', '--all', '--dead']).code).toBe(2);
    } finally {
      process.kill(-live.pid!, 'SIGKILL');
    }
  });
});

describe('wg cycles', () => {
  it('lists each cycle: configured or not, its iteration, what closes it', () => {
    const p = svc.track(project());
    p.seed([
      { id: 'l1', status: 'done', after: ['l2'] },
      { id: 'l2', status: 'open', after: ['l1'], cycle_config: { max_iterations: 5 }, loop_iteration: 2 },
      { id: 'u1', after: ['u2'] },
      { id: 'u2', after: ['u1'] },
      { id: 'solo' },
    ]);
    const r = p.ok(['cycles', '--json']).json<Array<{ members: Array<{ id: string }>; configured: boolean; owner: string | null; iteration: number; max_iterations: number | null; waiting_on: string[]; closes: string[] }>>();
    expect(r).toHaveLength(2);
    const loop = r.find((c) => c.configured)!;
    expect(loop).toMatchObject({ owner: 'l2', iteration: 2, max_iterations: 5, waiting_on: ['l2'] });
    expect(loop.closes[0]).toBe('iteration 2 closes when l2 is done');
    expect(loop.closes[1]).toMatch(/re-open for iteration 3 of at most 5/);
    const bad = r.find((c) => !c.configured)!;
    expect(bad.members.map((m) => m.id)).toEqual(['u1', 'u2']);
    expect(bad.closes.join(' ')).toMatch(/wg edit u1 --max-iterations N.*wg rm-dep u1 u2/);
    const human = p.ok(['cycles']).stdout;
    expect(human).toMatch(/Cycle \d: loop owned by l2, iteration 2\/5/);
    expect(human).toMatch(/NOT CONFIGURED \(header u1\)/);
  });

  it('says so when there is none', () => {
    const p = svc.track(project());
    p.add('a');
    expect(p.ok(['cycles']).stdout.trim()).toBe('No cycles');
  });
});
