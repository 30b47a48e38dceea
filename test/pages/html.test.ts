/**
 * `wg html` in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core, which never downloads a browser). Builds a graph with the built `wg`, writes
 * an evaluation, generates the site, then opens it over file://: filters the index by status,
 * opens a task page, checks the metadata rows (Eval score and the nine `└ dimension` rows), checks
 * that hostile description markdown is inert (no dialog, no script element, no javascript: link),
 * follows a "Depends on" link, takes screenshots, and asserts nothing but file:// was requested.
 *
 * Not skippable: without Chromium this test fails and says how to install it (.ci/run does).
 * Set WG_SCREENSHOT_DIR to keep copies of the screenshots.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, writeEvaluation } from '../../src/agency/evaluations.js';
import { pathsFor } from '../../src/store/paths.js';
import { project, type Project } from '../helpers/project.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOSTILE_DESCRIPTION = ['## Build notes', '', '<script>alert(1)</script>', '', '[x](javascript:alert(1))', '', 'Depends on **design**; <img src=x onerror=alert(2)>'].join('\n');
const DIM_VALUES: Record<string, number> = Object.fromEntries(DIMENSIONS.map((d, i) => [d, 0.5 + i * 0.05]));

function run(q: Project, args: string[], env: Record<string, string> = {}): string {
  const r = q.run(args, env);
  if (r.code !== 0) throw new Error(`wg ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The graph: design (done) ← build (in progress, evaluated, hostile description) ← deploy; plus a hidden system task. */
function buildGraph(q: Project): void {
  run(q, ['add', 'Design the schema', '--id', 'design', '--model', 'claude:opus', '--tag', 'api', '-d', 'Tables and *keys*.']);
  run(q, ['claim', 'design', '--actor', 'alice'], { WG_USER: 'alice' });
  run(q, ['done', 'design'], { WG_USER: 'alice' });
  run(q, ['add', 'Build the API', '--id', 'build', '--after', 'design', '--model', 'claude:sonnet', '--tag', 'api', '--tag', 'backend', '-d', HOSTILE_DESCRIPTION]);
  run(q, ['claim', 'build', '--actor', 'bob'], { WG_USER: 'bob' });
  run(q, ['log', 'build', 'halfway <b>there</b>', '--actor', 'bob']);
  run(q, ['add', 'Deploy', '--id', 'deploy', '--after', 'build']);
  run(q, ['add', 'Evaluate build', '--id', '.evaluate-build', '--after', 'build']);
  // The agent identity is set by `wg assign` (agency); write it the way that command stores it.
  const lines = q.readGraph().split('\n');
  const i = lines.findIndex((l) => l.includes('"id":"build"'));
  lines[i] = JSON.stringify({ ...JSON.parse(lines[i]!), agent: 'a1b2c3d4' });
  writeFileSync(q.graphPath, lines.join('\n'));
  writeEvaluation(pathsFor(q.wgDir), {
    id: 'eval-build-2026-01-02T00-00-00Z',
    task_id: 'build',
    score: 0.87,
    dimensions: DIM_VALUES,
    source: 'llm',
    timestamp: '2026-01-02T00:00:00Z',
  });
}

const metadata = (page: Page): Promise<Array<[string, string]>> =>
  page.$$eval('table.meta tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent!, tr.querySelector('td')!.textContent!] as [string, string]));

async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(statSync(file).size).toBeGreaterThan(10_000);
  const keep = process.env.WG_SCREENSHOT_DIR;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(file, join(keep, name));
  }
  return file;
}

describe('wg html in Chromium', () => {
  it('filters the index, shows the task page with its evaluation, keeps hostile markdown inert, follows a dependency link, loads nothing from the network', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for this test and is missing at ${CHROMIUM}: run 'apt-get update && apt-get install -y chromium' (.ci/run does this)`);
    }
    const q = project();
    const userDataDir = mkdtempSync(join(tmpdir(), 'wg-chromium-'));
    let context: BrowserContext | undefined;
    try {
      buildGraph(q);
      const out = join(q.dir, 'site');
      run(q, ['html', '--out', out]);

      context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
      context.setDefaultTimeout(15_000);
      const requests: string[] = [];
      const dialogs: string[] = [];
      const problems: string[] = [];
      context.on('request', (r) => requests.push(r.url()));
      // Belt and braces: anything that is not a local file is recorded above and never leaves.
      await context.route(/^(?!file:)/, (route) => route.abort());
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      // CSP violations and script errors are console errors: the pages must produce none.
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));

      // The index: three tasks (the system task is hidden), filterable by status.
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      expect(await page.title()).toBe('workgraph');
      const rows = page.locator('#task-table tbody tr');
      expect(await rows.count()).toBe(3);
      expect(await page.locator('body').textContent()).not.toContain('.evaluate-build');
      expect(await page.locator('#shown-count').textContent()).toBe('3 of 3 shown');
      await page.selectOption('#status-filter', 'open');
      expect(await page.locator('#task-table tbody tr:visible').allTextContents()).toEqual([expect.stringContaining('deploy')]);
      expect(await page.locator('#shown-count').textContent()).toBe('1 of 3 shown');
      expect(await page.locator('#dep-tree .node.dim').count()).toBe(2);
      await page.selectOption('#status-filter', 'in-progress');
      expect(await page.locator('#task-table tbody tr:visible').allTextContents()).toEqual([expect.stringContaining('build')]);
      await page.fill('#text-filter', 'nothing-matches');
      expect(await page.locator('#no-match').isVisible()).toBe(true);
      await page.fill('#text-filter', '');
      await page.selectOption('#status-filter', '');
      expect(await page.locator('#task-table tbody tr:visible').count()).toBe(3);
      // The dependency view draws design → build → deploy.
      expect((await page.locator('#dep-tree').textContent())!.split('\n').map((l) => l.split(/(?<=\S) {2}/)[0])).toEqual(['design', '└→ build', '   └→ deploy']);
      // A link can preselect the filter: index.html#status=done.
      await page.goto(`${pathToFileURL(join(out, 'index.html')).href}#status=done`);
      expect(await page.locator('#status-filter').inputValue()).toBe('done');
      expect(await page.locator('#task-table tbody tr:visible').allTextContents()).toEqual([expect.stringContaining('design')]);
      await page.selectOption('#status-filter', '');
      const indexShot = await screenshot(page, q.dir, 'index.png');

      // The task page, reached by clicking through.
      await page.click('#task-table a[href="tasks/build.html"]');
      await page.waitForURL(/\/tasks\/build\.html$/);
      expect(await page.locator('h1').textContent()).toBe('build');
      expect(await page.locator('.task-title').textContent()).toBe('Build the API');
      const md = await metadata(page);
      const dimRows = [...DIMENSIONS].sort().map((d) => [`└ ${d.replace(/_/g, ' ')}`, DIM_VALUES[d]!.toFixed(2)]);
      expect(md.map(([k]) => k)).toEqual(['Status', 'Assigned', 'Agent identity', 'Model', 'Created', 'Started', 'Tags', 'Eval score', ...dimRows.map(([k]) => k)]);
      const value = (k: string): string | undefined => md.find(([key]) => key === k)?.[1];
      expect(value('Status')).toBe('in-progress');
      expect(value('Assigned')).toMatch(/^bob/);
      expect(value('Agent identity')).toBe('a1b2c3d4');
      expect(value('Model')).toBe('claude:sonnet');
      expect(value('Tags')).toBe('api, backend');
      expect(value('Eval score')).toBe('0.87');
      expect(md.slice(-9)).toEqual(dimRows);

      // Hostile markdown is shown as text: no dialog, no script or img element from it, no javascript: link.
      const description = (await page.locator('#desc-pretty').textContent())!;
      expect(description).toContain('<script>alert(1)</script>');
      expect(description).toContain('[x](javascript:alert(1))');
      expect(description).toContain('<img src=x onerror=alert(2)>');
      expect(await page.locator('#desc-pretty h2').textContent()).toBe('Build notes');
      expect(await page.locator('#desc-pretty strong').textContent()).toBe('design');
      expect(await page.locator('script').count()).toBe(1);
      expect(await page.locator('script').textContent()).not.toContain('alert');
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
      expect(await page.locator('#log').textContent()).toContain('halfway <b>there</b>');
      // The raw/rendered toggle (the page's own script runs under its CSP).
      await page.click('#desc-toggle');
      expect(await page.locator('#desc-raw').isVisible()).toBe(true);
      expect(await page.locator('#desc-pretty').isVisible()).toBe(false);
      await page.click('#desc-toggle');
      expect(await page.locator('#desc-pretty').isVisible()).toBe(true);
      const taskShot = await screenshot(page, q.dir, 'task-build.png');

      // Follow "Depends on" to the dependency's page.
      await page.click('#depends-on a[href="./design.html"]');
      await page.waitForURL(/\/tasks\/design\.html$/);
      expect(await page.locator('h1').textContent()).toBe('design');
      const dmd = await metadata(page);
      expect(dmd.find(([k]) => k === 'Status')?.[1]).toBe('done');
      expect(dmd.find(([k]) => k === 'Completed')?.[1]).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(await page.locator('#required-by a').allTextContents()).toEqual(['in-progress build']);
      const depShot = await screenshot(page, q.dir, 'task-design.png');
      await page.click('nav a');
      await page.waitForURL(/\/site\/index\.html$/);

      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
      expect(requests.length).toBeGreaterThanOrEqual(4);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      for (const shot of [indexShot, taskShot, depShot]) expect(existsSync(shot)).toBe(true);
    } finally {
      await context?.close();
      rmSync(userDataDir, { recursive: true, force: true });
      q.cleanup();
    }
  });
});
