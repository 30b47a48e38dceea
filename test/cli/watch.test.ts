/**
 * `wg watch` driven as a real subprocess: it follows the graph's changes as they happen (and
 * within 100 ms of the write, with slack for a loaded machine here; bench/watch-latency.mjs
 * measures it), filters by task, prints human lines, and a watch stopped with Ctrl-C and
 * restarted from the cursor it printed misses and repeats nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/proc.js';
import { project, type Project } from '../helpers/project.js';
import { cleanEnv, WG_BIN } from '../helpers/wg.js';

interface Watcher {
  child: ChildProcess;
  lines: Array<{ text: string; at: number }>;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
let p: Project | undefined;
afterEach(async () => {
  for (const c of running) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  running.clear();
  await p?.cleanup();
  p = undefined;
});

async function startWatch(pr: Project, args: string[]): Promise<Watcher> {
  const child = spawn(process.execPath, [WG_BIN, 'watch', ...args], { cwd: pr.dir, env: cleanEnv(), detached: true });
  running.add(child);
  const lines: Watcher['lines'] = [];
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push({ text: buf.slice(0, i), at: Date.now() });
      buf = buf.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor('wg watch to start', () => err.includes('watching'));
  return { child, lines, stderr: () => err, exited };
}

const json = (w: Watcher): Array<Record<string, unknown>> => w.lines.map((l) => JSON.parse(l.text) as Record<string, unknown>);

describe('wg watch', () => {
  it('--json follows task changes as they happen, one JSON line each, promptly after the write', async () => {
    p = project();
    p.add('a');
    const w = await startWatch(p, ['--json']);
    p.add('b');
    p.ok(['claim', 'b', '--actor', 'alice']);
    p.ok(['log', 'b', 'halfway']);
    p.ok(['done', 'b']);
    await waitFor('4 events', () => w.lines.length >= 4);
    const es = json(w);
    expect(es.map((e) => `${String(e.kind)} ${String(e.task)} ${String(e.status ?? '-')}`)).toEqual(['task.created b open', 'task.changed b in-progress', 'task.message b -', 'task.changed b done']);
    expect(es[2]!.detail).toEqual({ message: 'halfway' });
    for (const e of es) expect(String(e.cursor)).toMatch(/^c1\./);
    // latency: from the operations log's last write to the line on our side
    const mtime = statSync(join(p.wgDir, 'log', 'operations.jsonl')).mtimeMs;
    expect(w.lines[3]!.at - mtime).toBeLessThan(500);
  });

  it('a watch stopped with Ctrl-C and restarted from its cursor misses and repeats nothing', async () => {
    p = project();
    const w1 = await startWatch(p, ['--json']);
    p.add('one');
    await waitFor('first event', () => w1.lines.length >= 1);
    w1.child.kill('SIGINT');
    expect(await w1.exited).toBe(0);
    const resume = /resume: wg watch --since (c1\.\S+)/.exec(w1.stderr())?.[1];
    expect(resume).toBeDefined();
    // while no watch runs
    p.add('two');
    p.ok(['done', 'one']);
    const w2 = await startWatch(p, ['--json', '--since', resume!]);
    p.add('three');
    await waitFor('three events', () => w2.lines.length >= 3);
    await new Promise((r) => setTimeout(r, 150));
    expect(json(w2).map((e) => `${String(e.name)} ${String(e.task)}`)).toEqual(['add_task two', 'done one', 'add_task three']);
    // resuming from the last line's own cursor gives nothing new
    const last = String(json(w2)[2]!.cursor);
    const again = p.ok(['watch', '--json', '--no-follow', '--since', last]);
    expect(again.stdout).toBe('');
  });

  it('--task keeps one task; human lines without --json; --no-follow prints history and exits', () => {
    p = project();
    p.add('a');
    p.add('b');
    p.ok(['claim', 'a', '--actor', 'alice']);
    p.ok(['fail', 'a', '--reason', 'tests red']);
    const r = p.ok(['watch', '--no-follow', '--task', 'a']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+task\.created\s+a\s+"Task a"/);
    expect(lines[1]).toMatch(/task\.changed\s+a\s+claim → in-progress claim: alice epoch 1/);
    expect(lines[2]).toMatch(/task\.changed\s+a\s+fail → failed "tests red"/);
    expect(r.stderr).toMatch(/resume: wg watch --since c1\./);
    const since = p.ok(['watch', '--no-follow', '--json', '--since', '1h']).stdout.trim().split('\n');
    expect(since).toHaveLength(4);
  });

  it('refuses a bad --since with a usage error (exit 2)', () => {
    p = project();
    const r = p.run(['watch', '--since', 'yesterday-ish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid --since 'yesterday-ish'/);
    expect(r.stderr).toMatch(/hint:/);
  });
});
