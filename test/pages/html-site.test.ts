/**
 * `wg html` without a browser: escaping and markdown sanitizing (pure renderer), page files and
 * ids, the task page matching `wg show`'s rows, and the CLI contract — one-line errors, nothing
 * half-written, only its own directories replaced, system tasks hidden unless --all.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIMENSIONS, writeEvaluation } from '../../src/agency/evaluations.js';
import { Graph } from '../../src/core/graph.js';
import type { Task } from '../../src/core/task.js';
import { buildSite, escapeHtml, pageName, renderMarkdown } from '../../src/render/html.js';
import { taskPage } from '../../src/render/show.js';
import { pathsFor } from '../../src/store/paths.js';
import { tempDirsPerTest } from '../helpers/project.js';
import { seedGraph } from '../helpers/files.js';
import { isOneLineError } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

const t = (id: string, patch: Partial<Task> = {}): Task => ({ kind: 'task', id, title: `Title of ${id}`, status: 'open', priority: 10, ...patch });
const HOSTILE = `<img src=x onerror=alert(1)>"'&`;

/** The <script> elements of a page (ours is the only one allowed). */
const scripts = (html: string): string[] => [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]!);

describe('html rendering (pure)', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('renders markdown with raw HTML escaped, script URLs refused and images turned into links', () => {
    const html = renderMarkdown(
      ['# Title', '', '**bold** and `code`', '', '<script>alert(1)</script>', '', '<img src=x onerror=alert(1)>', '', '[x](javascript:alert(1)) [y](JAVASCRIPT:alert(2)) [z](vbscript:x) [d](data:text/html;base64,PHNjcmlwdD4=)', '', '![pic](http://example.com/p.png)', '', '[ok](https://example.com/a?b=1&c=2)'].join('\n'),
    );
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<script|<img|<[^>]*\bonerror=|href="(javascript|vbscript|data):/i);
    expect(html).toContain('[x](javascript:alert(1))');
    expect(html).toContain('<a class="image-link" href="http://example.com/p.png">[image: pic]</a>');
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2">ok</a>');
  });

  it('uses a valid id as the file name and encodes any other id so it cannot leave tasks/', () => {
    expect(pageName('build-the-api')).toEqual({ name: 'build-the-api', encoded: false });
    expect(pageName('.evaluate-x')).toEqual({ name: '.evaluate-x', encoded: false });
    for (const bad of ['../../etc/passwd', 'Foo/Bar', 'a..b', '..', 'x\u0000y', 'ÜBER', '<script>', 'a'.repeat(300)]) {
      const { name, encoded } = pageName(bad);
      expect(encoded).toBe(true);
      expect(name).toMatch(/^_[0-9a-f]{32}$/);
    }
    expect(pageName('Foo/Bar').name).not.toBe(pageName('Foo/Baz').name);
  });

  it('escapes every user-written field on the index and the task page; only its own script runs', () => {
    const g = new Graph([
      t('dep', { title: HOSTILE, status: 'done' }),
      t('x', {
        title: HOSTILE,
        description: '<script>alert(1)</script>\n\n[x](javascript:alert(1))',
        after: ['dep'],
        assigned: HOSTILE,
        agent: HOSTILE,
        model: HOSTILE,
        tags: [HOSTILE],
        failure_reason: HOSTILE,
        log: [{ timestamp: HOSTILE, actor: HOSTILE, message: `${HOSTILE}</script><script>alert(2)</script>` }],
      }),
    ]);
    const site = buildSite(g, { all: false, evaluation: () => undefined });
    expect([...site.files.keys()].sort()).toEqual(['index.html', 'tasks/dep.html', 'tasks/x.html']);
    for (const [, html] of site.files) {
      expect(html).not.toContain('<img');
      // With attribute values blanked (quotes inside them are escaped), no tag carries a handler.
      expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\bon[a-z]+=/i);
      expect(html).not.toMatch(/href="javascript:|<script>alert/i);
      expect(scripts(html)).toHaveLength(1);
      expect(scripts(html)[0]).not.toContain('alert');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
      // Nothing is ever loaded: no src attributes, and a CSP that forbids loading anything.
      expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[a-z]+\s[^>]*\bsrc=/i);
      expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; img-src data:/);
    }
  });

  it('renders the same metadata rows as wg show, with the eval score and one └ row per dimension sorted by name', () => {
    const dims = Object.fromEntries(DIMENSIONS.map((d, i) => [d, (i + 1) / 10]));
    const x = t('x', { status: 'in-progress', assigned: 'alice', agent: 'a1b2', model: 'claude:opus', created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T01:00:00Z', tags: ['api', 'backend'] });
    const g = new Graph([x]);
    const evaluation = { score: 0.87, dimensions: dims };
    const html = buildSite(g, { all: false, evaluation: (id) => (id === 'x' ? evaluation : undefined) }).files.get('tasks/x.html')!;
    const rows = [...html.matchAll(/<tr(?: class="sub")?><th>([^<]*)<\/th><td>(.*?)<\/td><\/tr>/g)].map((m) => [m[1]!, m[2]!.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&')]);
    const expected = taskPage(g, x, evaluation).metadata.map(([k, v]) => [k, k === 'Status' ? x.status : v]);
    expect(rows).toEqual(expected);
    expect(rows.map(([k]) => k)).toEqual(
      ['Status', 'Assigned', 'Agent identity', 'Model', 'Created', 'Started', 'Tags', 'Eval score'].concat([...DIMENSIONS].sort().map((d) => `└ ${d.replace(/_/g, ' ')}`)),
    );
    expect(rows.find(([k]) => k === 'Eval score')![1]).toBe('0.87');
    expect(rows.find(([k]) => k === '└ correctness')![1]).toBe('0.10');
  });
});

describe.concurrent('wg html (CLI)', () => {
  const seeded = [
    { id: 'design', title: 'Design', status: 'done', completed_at: '2026-01-01T02:00:00Z' },
    { id: 'build', title: 'Build <b>it</b>', after: ['design', '.assign-build'], description: '# Plan\n\n<script>alert(1)</script>' },
    { id: '.assign-build', title: 'assign build', status: 'in-progress' },
  ];

  it('writes index.html and one page per task, system tasks only with --all, and a JSON summary', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const out = join(q.dir, 'site');
    const r = await q.wg(['html', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Wrote 2 task pages and .*index\.html\n$/);
    expect(readdirSync(join(out, 'tasks')).sort()).toEqual(['build.html', 'design.html']);
    const build = readFileSync(join(out, 'tasks', 'build.html'), 'utf8');
    expect(build).toContain('<a href="./design.html">');
    expect(build).toContain('1 system task hidden');
    expect(build).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toContain('.assign-build');

    const all = await q.wg(['html', '--out', out, '--all', '--json']);
    expect(all.code).toBe(0);
    expect(all.json()).toEqual({ out, index: join(out, 'index.html'), pages: 3, warnings: [] });
    expect(readdirSync(join(out, 'tasks')).sort()).toEqual(['.assign-build.html', 'build.html', 'design.html']);
    expect(readFileSync(join(out, 'tasks', 'build.html'), 'utf8')).toContain('<a href="./.assign-build.html">');
  });

  it('replaces a site it wrote (stale files go), leaving no temp directory behind', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const out = join(q.dir, 'site');
    expect((await q.wg(['html', '--out', out])).code).toBe(0);
    writeFileSync(join(out, 'tasks', 'stale.html'), 'old');
    expect((await q.wg(['html', '--out', out])).code).toBe(0);
    expect(existsSync(join(out, 'tasks', 'stale.html'))).toBe(false);
    expect(readdirSync(q.dir).sort()).toEqual(['.wg', 'site']);
    // An empty directory is fine too.
    mkdirSync(join(q.dir, 'empty'));
    expect((await q.wg(['html', '--out', 'empty'])).code).toBe(0);
    expect(existsSync(join(q.dir, 'empty', 'index.html'))).toBe(true);
  });

  it('refuses bad --out values with one line, writing nothing', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    writeFileSync(join(q.dir, 'file.txt'), 'keep me');
    mkdirSync(join(q.dir, 'src'));
    writeFileSync(join(q.dir, 'src', 'main.ts'), 'keep me');
    symlinkSync(join(q.dir, 'src'), join(q.dir, 'link'));
    const cases: Array<[string[], RegExp]> = [
      [['html'], /^error: required option '--out <dir>' not specified\n/],
      [['html', '--out', ''], /^error: --out needs a directory\n/],
      [['html', '--out', 'file.txt'], /^error: --out file\.txt is a file, not a directory\n/],
      [['html', '--out', 'file.txt/site'], /^error: --out file\.txt\/site: a parent of it is a file\n/],
      [['html', '--out', 'src'], /^error: --out src is a non-empty directory that wg html did not write\n/],
      [['html', '--out', '.'], /^error: --out \. is a non-empty directory that wg html did not write\n/],
      [['html', '--out', 'link'], /^error: --out link is a symbolic link\n/],
    ];
    for (const [args, message] of cases) {
      const r = await q.wg(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(isOneLineError(r.stderr), r.stderr).toBe(true);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(join(q.dir, 'file.txt'), 'utf8')).toBe('keep me');
    expect(readdirSync(join(q.dir, 'src'))).toEqual(['main.ts']);
    expect(readdirSync(q.dir).sort()).toEqual(['.wg', 'file.txt', 'link', 'src']);
  });

  it('writes no partial site when the input is bad (a corrupt evaluation file), and keeps the old one', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const out = join(q.dir, 'site');
    expect((await q.wg(['html', '--out', 'fresh'])).code).toBe(0);
    const before = readFileSync(join(q.dir, 'fresh', 'index.html'), 'utf8');
    mkdirSync(join(q.wgDir, 'agency', 'evaluations'), { recursive: true });
    writeFileSync(join(q.wgDir, 'agency', 'evaluations', 'eval-build-1.json'), '{ not json');
    for (const target of [out, join(q.dir, 'fresh')]) {
      const r = await q.wg(['html', '--out', target]);
      expect(r.code).toBe(1);
      expect(isOneLineError(r.stderr), r.stderr).toBe(true);
      expect(r.stderr).toContain('eval-build-1.json');
    }
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(q.dir, 'fresh', 'index.html'), 'utf8')).toBe(before);
    expect(readdirSync(q.dir).sort()).toEqual(['.wg', 'fresh']);
  });

  it('shows the newest evaluation on the task page', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, seeded);
    const paths = pathsFor(q.wgDir);
    const dims = Object.fromEntries(DIMENSIONS.map((d) => [d, 0.5]));
    writeEvaluation(paths, { id: 'eval-build-old', task_id: 'build', score: 0.1, dimensions: dims, source: 'llm', timestamp: '2026-01-01T00:00:00Z' });
    writeEvaluation(paths, { id: 'eval-build-new', task_id: 'build', score: 0.91, dimensions: dims, source: 'llm', timestamp: '2026-01-02T00:00:00Z' });
    expect((await q.wg(['html', '--out', 'site'])).code).toBe(0);
    const html = readFileSync(join(q.dir, 'site', 'tasks', 'build.html'), 'utf8');
    expect(html).toContain('<tr><th>Eval score</th><td>0.91</td></tr>');
    expect(html.match(/<tr class="sub"><th>└ [a-z ]+<\/th><td>0\.50<\/td><\/tr>/g)).toHaveLength(9);
  });

  it('gives an id another tool wrote that is not a safe file name an encoded page, with a warning', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [{ id: 'ok' }, { id: 'Up/../../Escape', title: 'weird', after: ['ok'] }, { id: '../../dot', title: 'a system id' }]);
    const r = await q.wg(['html', '--out', 'site']);
    expect(r.code).toBe(0);
    const name = pageName('Up/../../Escape').name;
    expect(r.stderr).toBe(`warning: task id "Up/../../Escape" is not a safe file name; its page is tasks/${name}.html\n`);
    expect(readdirSync(join(q.dir, 'site', 'tasks')).sort()).toEqual([`${name}.html`, 'ok.html'].sort());
    expect(readFileSync(join(q.dir, 'site', 'tasks', 'ok.html'), 'utf8')).toContain(`<a href="./${name}.html">`);
    // An id starting with '.' is a system id: it gets a page only with --all, encoded too.
    const all = await q.wg(['html', '--out', 'site', '--all']);
    expect(all.code).toBe(0);
    expect(all.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(readdirSync(join(q.dir, 'site', 'tasks')).sort()).toEqual([name, pageName('../../dot').name, 'ok'].map((n) => `${n}.html`).sort());
    expect(readdirSync(q.dir).sort()).toEqual(['.wg', 'site']);
  });
});
