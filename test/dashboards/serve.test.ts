/**
 * `wg serve` for real: the built `wg`, a real service with the shell executor, and headless
 * Chromium (Debian's /usr/bin/chromium through playwright-core). The dashboard is opened before
 * the service starts; a task's agent fails; the failed task appears in "Stuck work" without a
 * reload (server-sent events); Retry is clicked and confirmed; the service respawns an agent,
 * whose output tail shows on the page. Requests without the token (or with a wrong one) are
 * refused, and change nothing.
 *
 * Not skippable: without Chromium this test fails and says how to install it (.ci/run does).
 * Set WG_SCREENSHOT_DIR to keep the screenshots (docs/img/serve.png and serve-task.png were made
 * that way).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest, startServe, type Served } from '../helpers/dashboard.js';
import { project, serviceProject, type Project } from '../helpers/project.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let p: Project | undefined;
let served: Served | undefined;
let browser: Browser | undefined;
const temps: string[] = [];

afterEach(async () => {
  await browser?.close().catch(() => undefined);
  browser = undefined;
  await served?.stop();
  served = undefined;
  p?.cleanup();
  p = undefined;
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('wg serve', () => {
  it('refuses every request without the token (401) or with a wrong one (403), also for actions; accepts the token', async () => {
    p = project();
    p.add('t1');
    served = await startServe(p.dir);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    for (const path of ['/', '/task/t1', '/events', '/api/snapshot', '/nope']) {
      expect((await httpRequest(served.base + path)).status).toBe(401);
      expect((await httpRequest(`${served.base}${path}?token=wrong`)).status).toBe(403);
      expect((await httpRequest(served.base + path, { headers: { Cookie: 'wg_token=wrong' } })).status).toBe(403);
    }
    const before = p.readGraph();
    const post = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action: 'pause', task: 't1' }) };
    expect((await httpRequest(served.base + '/action', post)).status).toBe(401);
    expect((await httpRequest(served.base + '/action', { ...post, headers: { ...post.headers, 'X-WG-Token': 'nope' } })).status).toBe(403);
    // A page on another origin posting with the token still is refused (Origin check).
    expect((await httpRequest(served.base + '/action', { ...post, headers: { ...post.headers, 'X-WG-Token': served.token, Origin: 'http://evil.example' } })).status).toBe(403);
    // DNS rebinding: the right token under another Host name.
    expect((await httpRequest(`${served.base}/?token=${served.token}`, { headers: { Host: 'evil.example' } })).status).toBe(403);
    expect(p.readGraph()).toBe(before);
    // With the token: the URL sets the cookie and redirects; the header works for API calls.
    const first = await httpRequest(served.url);
    expect(first.status).toBe(303);
    expect(String(first.headers['set-cookie'])).toMatch(/wg_token=.*HttpOnly; SameSite=Strict/);
    const page = await httpRequest(served.base + '/', { headers: { Cookie: `wg_token=${served.token}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const ok = await httpRequest(served.base + '/action', { ...post, headers: { ...post.headers, 'X-WG-Token': served.token } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, lines: ["Paused 't1'"] });
    expect(p.task('t1').paused).toBe(true);
    // An action the command refuses comes back as the command's error, nothing changes.
    const bad = await httpRequest(served.base + '/action', { ...post, body: JSON.stringify({ action: 'retry', task: 'ghost' }), headers: { ...post.headers, 'X-WG-Token': served.token } });
    expect(bad.status).toBe(409);
    expect(JSON.parse(bad.body).error).toMatch(/^error: task 'ghost' not found/);
  });

  it('in Chromium: a failed task appears live in stuck work, Retry (confirmed) re-queues it and the service respawns an agent whose output shows', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required for this test and is missing at ${CHROMIUM}: run 'apt-get update && apt-get install -y chromium' (.ci/run does this)`);
    p = serviceProject();
    const mark = p.w('ran-once');
    p.ok(['add', 'Design the schema', '--id', 'design', '--exec', 'echo designing; exit 0']);
    p.ok(['add', 'Build the API', '--id', 'build', '--after', 'design', '--exec', `if [ -e "${mark}" ]; then echo "second attempt: building"; sleep 300; else touch "${mark}"; echo "first attempt: compiler crashed" >&2; sleep 1; exit 3; fi`]);
    p.ok(['add', 'Deploy', '--id', 'deploy', '--after', 'build', '--exec', 'true']);
    p.ok(['add', 'Write the docs', '--id', 'docs', '--exec', 'echo docs; sleep 300']);
    served = await startServe(p.dir, { PATH: `${p.binDir}:${process.env.PATH}` });
    const shots = mkdtempSync(join(tmpdir(), 'wg-serve-shot-'));
    temps.push(shots);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(45_000); // generous: CI machines are shared
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goto(served.url);
    expect(new URL(page.url()).searchParams.get('token')).toBeNull(); // the token left the address bar
    await page.waitForSelector('body[data-connected="1"]');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    expect(await page.locator('#stuck').textContent()).toContain('Nothing is stuck');

    p.start();
    // Live: the failed task shows up in stuck work, its dependent behind it; no reload happened.
    const failedRow = page.locator('#stuck tr[data-kind="failed"][data-task="build"]');
    await failedRow.waitFor();
    expect(await failedRow.textContent()).toMatch(/exited with code 3/);
    await page.locator('#stuck tr[data-kind="blocked-by-failed"][data-task="deploy"]').waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    const firstAgent = p.agentsOf('build')[0]!;
    await page.locator(`#agents tr[data-agent="${firstAgent.id}"]`).waitFor();
    await page.locator('#agents tr[data-agent] pre.tail', { hasText: 'docs' }).waitFor();
    await page.screenshot({ path: join(shots, 'serve.png'), fullPage: true });

    // Retry: confirm, the command's own message, then the respawn.
    await failedRow.locator('button[data-action="retry"]').click();
    await page.locator('#flash', { hasText: "Re-queued 'build' (retry 1)" }).waitFor();
    expect(dialogs).toEqual(["Retry 'build'?"]);
    const second = await p.runningAgent('build', { not: [firstAgent.id], timeoutMs: 45_000 });
    const row = page.locator(`#agents tr[data-agent="${second.id}"]`);
    await row.waitFor();
    await row.locator('pre.tail', { hasText: 'second attempt: building' }).waitFor();
    await page.locator('#stuck tr[data-task="build"]').waitFor({ state: 'detached' });
    expect(p.task('build')).toMatchObject({ status: 'in-progress', retry_count: 1, assigned: second.id });

    // The task page (wg html's rendering) with its buttons, live too.
    await page.locator(`a[href="/task/build"]`).first().click();
    await page.locator('#metadata').waitFor();
    expect(await page.locator('h1').textContent()).toBe('build');
    await page.locator('#actions button[data-action="kill"]').waitFor();
    await page.locator('#agent pre.tail', { hasText: 'second attempt' }).waitFor();
    await page.locator('#actions button[data-action="kill"]').click();
    await page.locator('#flash', { hasText: `Killed ${second.id}` }).waitFor();
    await page.locator('#actions[data-status="open"]').waitFor();
    expect(p.task('build')).toMatchObject({ status: 'open', paused: true });
    expect(dialogs[1]).toBe(`Kill ${second.id} (working on 'build')? Its task is released and paused.`);

    const png = readFileSync(join(shots, 'serve.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const keep = process.env.WG_SCREENSHOT_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(join(shots, 'serve.png'), join(keep, 'serve.png'));
    }
  }, 180_000);
  it('in Chromium: Approve and Reject (with a typed reason) on pending-validation tasks; a dismissed dialog or an empty reason changes nothing; Message on the task page', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required for this test and is missing at ${CHROMIUM}: run 'apt-get update && apt-get install -y chromium' (.ci/run does this)`);
    p = project();
    for (const [id, title] of [['doc', 'Write the docs'], ['api', 'Build the API']] as const) {
      p.ok(['add', title, '--id', id, '--validation', 'A human reads it']);
      p.ok(['claim', id]);
      p.ok(['done', id]);
    }
    served = await startServe(p.dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(45_000);
    const page = await context.newPage();
    const dialogs: string[] = [];
    let answer = true;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });
    await page.goto(served.url);
    await page.waitForSelector('body[data-connected="1"]');
    const docRow = page.locator('#stuck tr[data-kind="waiting-human"][data-task="doc"]');
    await docRow.waitFor();

    // Approve, dismissed: nothing changes. Approve, accepted: wg approve's message; done.
    const before = p.readGraph();
    answer = false;
    await docRow.locator('button[data-action="approve"]').click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs).toEqual(["Approve 'doc'?"]);
    expect(p.readGraph()).toBe(before);
    answer = true;
    await docRow.locator('button[data-action="approve"]').click();
    await page.locator('#flash', { hasText: "Approved 'doc' — it is done" }).waitFor();
    expect(p.task('doc').status).toBe('done');
    await docRow.waitFor({ state: 'detached' });

    // The task page of api: Reject with no reason is refused before anything is asked.
    await page.locator('a[href="/task/api"]').first().click();
    await page.locator('#actions[data-status="pending-validation"]').waitFor();
    await page.locator('#actions button[data-action="reject"]').click();
    await page.locator('#flash.err', { hasText: 'type a reason first' }).waitFor();
    expect(dialogs).toHaveLength(2);
    expect(p.task('api').status).toBe('pending-validation');
    // A typed reason survives a live update (another process changes the graph meanwhile).
    const reason = page.locator('#actions input[data-for="reject"]');
    await reason.fill('the examples do not run');
    const keep = process.env.WG_SCREENSHOT_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      await page.screenshot({ path: join(keep, 'serve-task.png'), fullPage: true });
    }
    const version = Number(await page.locator('#actions').getAttribute('data-version'));
    p.ok(['log', 'api', 'a note from elsewhere']);
    await page.locator('#live', { hasText: 'a note from elsewhere' }).waitFor();
    expect(Number(await page.locator('#actions').getAttribute('data-version'))).toBeGreaterThan(version);
    expect(await reason.inputValue()).toBe('the examples do not run');
    // Enter in the field presses Reject: the dialog quotes the reason; wg reject's message.
    await reason.press('Enter');
    await page.locator('#flash', { hasText: "Rejected 'api' (1/3) — re-opened" }).waitFor();
    expect(dialogs[2]).toBe("Reject 'api' with this reason? It re-opens for the next attempt (it fails after max_rejections).\n\nthe examples do not run");
    expect(p.task('api')).toMatchObject({ status: 'open', rejection_count: 1 });
    await page.locator('#actions[data-status="open"]').waitFor();
    await page.locator('#live', { hasText: 'Task rejected (1/3): the examples do not run' }).waitFor();
    expect(await page.locator('#actions button[data-action="reject"]').count()).toBe(0);

    // Message: the field, the confirmation, wg msg send's message; wg msg list shows it.
    await page.locator('#actions input[data-for="message"]').fill('please run the examples first');
    await page.locator('#actions button[data-action="message"]').click();
    await page.locator('#flash', { hasText: "Message #1 sent to 'api'" }).waitFor();
    expect(dialogs[3]).toBe("Send this message to 'api'?\n\nplease run the examples first");
    expect(p.ok(['msg', 'list', 'api']).stdout).toContain('please run the examples first');
    expect(await page.locator('#actions input[data-for="message"]').inputValue()).toBe('');
  }, 180_000);
});
