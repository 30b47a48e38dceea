/**
 * Issue 10, end to end: a project made by the Rust tool (a copy of test/fixtures/rust/legacy-project)
 * worked with the built `wg` from its own directory — list, ready, show, viz, html, status,
 * why-blocked, check, add-dep, done, fail, retry, resume, add, abandon, service start/status/stop with a shell
 * task — and after every command, every file wg left behind (graph.jsonl, the agent registry,
 * the service state) is loadable by the Rust tool (src/compat/rust-rules.ts), the lines wg did
 * not change keep their bytes, and config.toml is untouched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rustLoadsConfig } from '../../src/compat/rust-config-rules.js';
import { rustLoadsGraph } from '../../src/compat/rust-rules.js';
import { processRunning, safeKill, waitFor } from '../helpers/proc.js';
import { tempDirsPerTest } from '../helpers/project.js';
import { copyRustFixture } from '../helpers/rust-fixtures.js';
import { rustLoadProblems } from '../helpers/rust-loadable.js';
import { wgAsync } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const byId = (text: string): Map<string, string> => {
  const m = new Map<string, string>();
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    const o = JSON.parse(l) as { id: string; kind?: string };
    if (o.kind !== 'actor') m.set(o.id, l); // the last line of a repeated id, as both tools read it
  }
  return m;
};
const keysOf = (line: string): string[] => Object.keys(JSON.parse(line) as object);

describe('a project made by the Rust tool, worked with wg', () => {
  it('every command works from its own directory, and every file wg leaves behind stays loadable by the Rust tool', async (ctx) => {
    const root = copyRustFixture('legacy-project', tmp.bare(ctx).dir);
    const wgDir = join(root, '.workgraph');
    const graph = join(wgDir, 'graph.jsonl');
    const config = readFileSync(join(wgDir, 'config.toml'));
    const cwd = join(root, 'src', 'lib');
    const wg = async (args: string[]) => {
      const r = await wgAsync(cwd, args);
      expect(r.code, `wg ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    /** After each command: loadable by the Rust tool, config untouched, only `changed` lines differ. */
    let last = readFileSync(graph, 'utf8');
    const checkpoint = (what: string, changed: string[] = []): Map<string, string> => {
      expect(rustLoadProblems(root), what).toEqual([]);
      expect(rustLoadsConfig(readFileSync(join(wgDir, 'config.toml'), 'utf8')).errors, `${what}: config.toml`).toEqual([]);
      expect(readFileSync(join(wgDir, 'config.toml')).equals(config), `${what}: config.toml`).toBe(true);
      const now = readFileSync(graph, 'utf8');
      const [a, b] = [byId(last), byId(now)];
      for (const [id, line] of a) if (!changed.includes(id)) expect(b.get(id), `${what}: line of ${id}`).toBe(line);
      for (const id of changed) expect(b.get(id), `${what}: ${id} changed`).not.toBe(a.get(id));
      last = now;
      return b;
    };

    // --- Reads: they find the legacy folder from a subdirectory and change nothing.
    const list = await wg(['list', '--json']);
    const ids = list.json<Array<{ id: string; title: string }>>();
    expect(ids.find((t) => t.id === 'build-store')?.title).toBe('Build the store (second definition wins)');
    expect(ids.map((t) => t.id)).not.toContain('erik'); // a legacy actor line
    const ready = (await wg(['ready', '--json'])).json<Array<{ id: string }>>().map((t) => t.id).sort();
    expect(ready).toEqual(['hourly-sync', 'legacy-identity', 'poll-ci', 'prio-fraction', 'prio-high-name', 'prio-idle', 'prio-urgent', 'review-draft', 'rich-fields', 'st-incomplete', 'st-no-status']);
    const show = (await wg(['show', 'write-migrations', '--json'])).json<{ after: Array<{ id: string; status: string }> }>();
    expect(show.after).toEqual([expect.objectContaining({ id: 'design-schema', status: 'done' }), expect.objectContaining({ id: 'review-migrations-plan', status: 'in-progress' })]);
    expect((await wg(['show', 'design-schema'])).stdout).toMatch(/Required by\n(.*\n)*.*build-store/);
    const viz = (await wg(['viz'])).stdout;
    expect(viz).toMatch(/^design-schema .*\n├→ build-store/m);
    expect(viz).toMatch(/^└→ write-migrations/m);
    const html = await wg(['html', '--out', join(root, 'site')]);
    expect(html.code).toBe(0);
    expect(readFileSync(join(root, 'site', 'tasks', 'write-migrations.html'), 'utf8')).toContain('design-schema');
    const status = (await wg(['status', '--json'])).json<{ by_status: Record<string, number>; agents: { held: number } }>();
    expect(status.by_status).toMatchObject({ 'open': 19, 'in-progress': 1, 'waiting': 1, 'blocked': 1, 'done': 3, 'failed': 6, 'abandoned': 1, 'pending-validation': 1, 'pending-eval': 1, 'failed-pending-eval': 1, 'incomplete': 1 });
    expect(status.agents.held).toBe(1); // agent-8 parked; frozen agent-9's PID is gone: dead
    expect((await wg(['why-blocked', 'nightly-report'])).stdout).toContain('cron task: next run at 2099-01-01T02:00:00+00:00');
    expect((await wg(['why-blocked', 'build-store'])).stdout).toContain('defined on lines 2 and 40 of graph.jsonl (remove one)');
    const check = await wgAsync(cwd, ['check', '--json']);
    expect(check.code).toBe(1); // orphan-followup waits on a task that does not exist
    const kinds = check.json<{ findings: Array<{ kind: string; task_id?: string }> }>().findings.map((f) => `${f.kind}:${f.task_id ?? ''}`);
    expect(kinds.sort()).toEqual(['dangling-dependency:orphan-followup', 'duplicate-id:build-store', 'legacy-priority:prio-fraction', 'legacy-priority:prio-high-name', 'legacy-priority:prio-urgent']);
    checkpoint('reads');
    expect(readFileSync(graph, 'utf8')).toBe(readFileSync(join(__dirname, '../fixtures/rust/legacy-project/.workgraph/graph.jsonl'), 'utf8'));

    // --- Writes.
    await wg(['add-dep', 'write-migrations', 'prio-idle']);
    let lines = checkpoint('add-dep', ['write-migrations', 'prio-idle']);
    expect(JSON.parse(lines.get('write-migrations')!)).toMatchObject({ after: ['design-schema', 'review-migrations-plan', 'prio-idle'] });
    expect(keysOf(lines.get('write-migrations')!).slice(0, 6)).toEqual(['kind', 'id', 'title', 'status', 'priority', 'after']); // where blocked_by was
    expect(lines.get('write-migrations')).not.toContain('blocked_by');

    await wg(['done', 'st-no-status']);
    lines = checkpoint('done', ['st-no-status']);
    expect(keysOf(lines.get('st-no-status')!).slice(0, 5)).toEqual(['kind', 'id', 'title', 'created_at', 'status']);

    await wg(['fail', 'prio-fraction', '--class', 'api-error-429-rate-limit', '--reason', 'rate limited']);
    lines = checkpoint('fail', ['prio-fraction']);
    expect(JSON.parse(lines.get('prio-fraction')!)).toMatchObject({ status: 'failed', priority: 10, failure_class: 'api-error429-rate-limit', failure_reason: 'rate limited' });

    await wg(['retry', 'fail-agent-exit-nonzero']);
    lines = checkpoint('retry', ['fail-agent-exit-nonzero']);
    const retried = JSON.parse(lines.get('fail-agent-exit-nonzero')!) as Record<string, unknown>;
    expect(retried).toMatchObject({ status: 'open', retry_count: 2 });
    expect(retried.failure_class).toBeUndefined();

    await wg(['resume', 'paused-draft']);
    lines = checkpoint('resume', ['paused-draft']);
    expect(lines.get('paused-draft')).toContain('"blocked_by":["write-draft"]'); // dependencies untouched: their spelling too

    await wg(['add', 'Write the changelog', '--id', 'changelog', '--after', 'write-migrations']);
    lines = checkpoint('add', ['changelog', 'write-migrations']); // and the before mirror of its dependency
    expect(JSON.parse(lines.get('changelog')!)).toMatchObject({ kind: 'task', status: 'open', after: ['write-migrations'] });

    await wg(['abandon', 'orphan-followup', '--superseded-by', 'announce']);
    lines = checkpoint('abandon', ['orphan-followup']);
    expect(JSON.parse(lines.get('orphan-followup')!)).toMatchObject({ status: 'abandoned', blocked_by: ['removed-long-ago'], superseded_by: ['announce'] });

    // --- The service runs a shell task of the Rust project (the config is the Rust tool's).
    await wg(['edit', 'prio-urgent', '--exec', `echo ran > ${join(root, 'marker')}`]);
    checkpoint('edit', ['prio-urgent']);
    const start = await wg(['service', 'start', '--executor', 'shell', '--json']);
    const daemon = start.json<{ pid: number }>().pid;
    try {
      await waitFor('the shell task to run', () => existsSync(join(root, 'marker')), 30_000);
      await waitFor('prio-urgent to finish', () => /"id":"prio-urgent"[^\n]*"status":"(done|pending-eval)"/.test(readFileSync(graph, 'utf8')), 15_000);
      const svc = (await wg(['service', 'status', '--json'])).json<{ running: boolean; agents_held: Array<{ id: string; status: string }> }>();
      expect(svc.running).toBe(true);
      expect(svc.agents_held).toEqual([{ id: 'agent-8', task: 'st-waiting', status: 'parked' }]);
      expect(rustLoadProblems(root), 'while the service runs').toEqual([]);
    } finally {
      await wgAsync(cwd, ['service', 'stop', '--kill-agents']);
      if (processRunning(daemon)) safeKill(daemon);
    }
    expect(rustLoadProblems(root), 'after the service').toEqual([]);
    const registry = JSON.parse(readFileSync(join(wgDir, 'service', 'registry.json'), 'utf8')) as { agents: Record<string, { status: string }> };
    // The Rust tool's parked agent is left alone; its running ones whose PIDs are gone are dead.
    expect(registry.agents['agent-8']!.status).toBe('parked');
    expect(registry.agents['agent-7']!.status).toBe('dead');
    const after = readFileSync(graph, 'utf8');
    expect(rustLoadsGraph(after).warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^duplicate node ID 'build-store'/)]);
    // Lines 2 and 40 (the repeated id) were never written.
    expect(after.split('\n')[1]).toBe(last.split('\n')[1]);
    expect(after.split('\n')[39]).toBe(last.split('\n')[39]);
    expect(readFileSync(join(wgDir, 'config.toml')).equals(config)).toBe(true);
  }, 240_000); // ~30 commands and a service run: ~25 s on a quiet machine, ~50 s at load 35
});
