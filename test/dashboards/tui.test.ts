/**
 * `wg tui` for real: the built `wg` in a pseudo-terminal (test/helpers/pty.ts), keys in, frames
 * out. A failed task is selected, `r` asks for confirmation, `y` retries it through the same code
 * as `wg retry` (the graph says open, retry 1); `n` cancels and changes nothing; a task added by
 * another process shows up live; Tab shows the dependency tree, then the agents; `f` filters
 * to stuck work; `q` quits. Set WG_SCREENSHOT_DIR to keep a frame (docs/img/tui.txt was made
 * that way).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnPty, type Pty } from '../helpers/pty.js';
import { project, serviceProject, type Project } from '../helpers/project.js';
import { WG_BIN } from '../helpers/wg.js';

let p: Project | undefined;
let tty: Pty | undefined;

afterEach(async () => {
  await tty?.stop();
  tty = undefined;
  p?.cleanup();
  p = undefined;
});

const tui = (q: Project, args = '', env: Record<string, string> = {}): Pty => spawnPty(q.dir, `${process.execPath} ${WG_BIN} tui ${args}`, { rows: 40, cols: 150, env });

function graph(q: Project): void {
  q.ok(['add', 'Design the schema', '--id', 'design']);
  q.ok(['claim', 'design']);
  q.ok(['done', 'design']);
  q.ok(['add', 'Build the API', '--id', 'build', '--after', 'design']);
  q.ok(['claim', 'build', '--actor', 'bob']);
  q.ok(['fail', 'build', '--reason', 'compiler crashed'], { WG_USER: 'bob' });
  q.ok(['add', 'Deploy', '--id', 'deploy', '--after', 'build']);
  q.ok(['add', 'Write the docs', '--id', 'docs']);
}

describe('wg tui in a pseudo-terminal', () => {
  it('r on a failed task asks, y retries it (the graph says open); n cancels; live updates; tree and agents panes; q quits', async () => {
    p = project();
    graph(p);
    // CI=true: ink would draw nothing until exit; wg tui in a terminal still draws live.
    tty = tui(p, '', { CI: 'true' });
    let screen = await tty.waitScreen('filter: all');
    expect(screen).toMatch(/4 tasks/);
    expect(screen).toMatch(/failed\s+build\s+Build the API/);
    // j moves to build; the inspector shows its `wg show` page.
    tty.keys('j');
    screen = await tty.waitScreen('Failure reason');
    expect(screen).toContain('compiler crashed');
    expect(screen).toContain('2/4');

    // u then n: asked, cancelled, nothing written.
    const before = p.readGraph();
    tty.keys('u');
    await tty.waitScreen("Unclaim 'build'? It goes back to open for anyone.  [y/n]");
    tty.keys('n');
    await tty.waitScreen('cancelled');
    expect(p.readGraph()).toBe(before);

    // r then y: the retry, with wg retry's own message.
    tty.keys('r');
    await tty.waitScreen("Retry 'build'? It is re-queued (its live agent, if any, is killed).  [y/n]");
    expect(p.task('build').status).toBe('failed');
    tty.keys('y');
    await tty.waitScreen("Re-queued 'build' (retry 1)");
    expect(p.task('build')).toMatchObject({ status: 'open', retry_count: 1 });
    screen = await tty.waitScreen(/open\s+build\s+Build the API/);
    expect(screen).toContain('Retry requested');

    // A change by another process shows up without a key press.
    p.ok(['add', 'Hotfix the login', '--id', 'hotfix']);
    screen = await tty.waitScreen('hotfix');
    expect(screen).toMatch(/5 tasks/);

    // Tab: the dependency tree of unfinished work; Tab: the agents pane (none yet).
    tty.keys('\t');
    screen = await tty.waitScreen('tree ·');
    expect(screen).toMatch(/└.*build/);
    tty.keys('\t');
    await tty.waitScreen('agents ·');

    tty.keys('\t');
    await tty.waitScreen('tasks · filter: all');

    // q quits cleanly.
    tty.keys('q');
    expect(await tty.exited).toBe(0);
  }, 120_000);

  it('f filters to stuck work (failed first, then what waits behind it); / searches; K with no agent says so', async () => {
    p = project();
    graph(p);
    tty = tui(p);
    await tty.waitScreen('filter: all');
    tty.keys('f');
    let screen = await tty.waitScreen('filter: stuck');
    expect(screen).toMatch(/failed\s+failed\s+build/);
    expect(screen).toMatch(/blocked-by-failed\s+deploy/);
    expect(screen).not.toMatch(/docs/);
    tty.keys('K');
    await tty.waitScreen("'build' has no running agent to kill.");
    tty.keys('F');
    await tty.waitScreen('filter: all');
    tty.keys('/');
    await tty.waitScreen('search: ');
    tty.keys('docs\r');
    screen = await tty.waitScreen('/docs');
    expect(screen).toMatch(/open\s+docs\s+Write the docs/);
    expect(screen).not.toMatch(/Build the API/);
    tty.keys('q');
    expect(await tty.exited).toBe(0);
  }, 120_000);

  it('with a real service: the agents pane shows the agent, its output tail and idle time; K asks, y kills it through wg kill', async () => {
    p = serviceProject();
    p.ok(['add', 'Design the schema', '--id', 'design']);
    p.ok(['claim', 'design']);
    p.ok(['done', 'design']);
    p.ok(['add', 'Long job', '--id', 'long', '--after', 'design', '--exec', 'echo "step one: migrating"; sleep 300']);
    p.ok(['add', 'Ship it', '--id', 'ship', '--after', 'long', '--exec', 'true']);
    p.ok(['add', 'Flaky check', '--id', 'flaky']);
    p.ok(['claim', 'flaky']);
    p.ok(['fail', 'flaky', '--reason', 'network timeout']);
    p.start();
    const agent = await p.runningAgent('long');
    tty = tui(p);
    await tty.waitScreen('filter: all');
    let screen = await tty.waitScreen('step one: migrating');
    expect(screen).toMatch(new RegExp(`${agent.id}\\s+long\\s+working\\s+idle \\d+s`));
    expect(screen).toMatch(/service PID \d+/);
    const keep = process.env.WG_SCREENSHOT_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      writeFileSync(join(keep, 'tui.txt'), screen.replace(/[ \t]+$/gm, ''));
    }
    tty.keys('\t');
    await tty.waitScreen('tree ·');
    tty.keys('\t');
    screen = await tty.waitScreen('agents · 1/1');
    expect(screen).toContain('Agent ' + agent.id + ' output:');
    tty.keys('K');
    await tty.waitScreen(`Kill ${agent.id} (working on 'long')? Its task is released and paused.  [y/n]`);
    tty.keys('y');
    await tty.waitScreen(`Killed ${agent.id}; 'long' released and paused (wg resume long)`);
    expect(p.task('long')).toMatchObject({ status: 'open', paused: true });
    expect(p.agents()[agent.id]!.status).toBe('dead');
    tty.keys('q');
    expect(await tty.exited).toBe(0);
  }, 120_000);

  it('approve, reject with a typed reason, message: each asks first; Esc cancels and changes nothing (CI=true)', async () => {
    p = project();
    for (const [id, title] of [['doc', 'Write the docs'], ['api', 'Build the API']] as const) {
      p.ok(['add', title, '--id', id, '--validation', 'A human reads it']);
      p.ok(['claim', id]);
      p.ok(['done', id]);
    }
    expect(p.task('doc').status).toBe('pending-validation');
    expect(p.task('api').status).toBe('pending-validation');
    tty = tui(p, '', { CI: 'true' });
    await tty.waitScreen(/pending-valid\s+doc\s+Write the docs/);
    await tty.waitScreen('1/2');

    // a: asked; n cancels (nothing written); a, y: wg approve's own message, the task is done.
    const before = p.readGraph();
    tty.keys('a');
    await tty.waitScreen("Approve 'doc'? It is done (its worktree branch, if any, lands).  [y/n]");
    tty.keys('n');
    await tty.waitScreen('cancelled');
    expect(p.readGraph()).toBe(before);
    tty.keys('a');
    await tty.waitScreen("Approve 'doc'?");
    tty.keys('y');
    await tty.waitScreen("Approved 'doc' — it is done");
    expect(p.task('doc').status).toBe('done');
    await tty.waitScreen(/done\s+doc\s+Write the docs/);

    // R on api: a prompt; Esc cancels with the reason half typed, nothing written.
    tty.keys('j');
    await tty.waitScreen('2/2');
    const beforeReject = p.readGraph();
    tty.keys('R');
    await tty.waitScreen("Reject 'api' — reason (the next attempt reads it): ▌");
    tty.keys('not like');
    await tty.waitScreen('reason (the next attempt reads it): not like▌');
    tty.keys('\x1b');
    await tty.waitScreen('cancelled');
    expect(p.readGraph()).toBe(beforeReject);
    expect(p.task('api').status).toBe('pending-validation');
    // R, a typed reason, Enter: wg reject's message; the task is open with the reason on its page.
    tty.keys('R');
    await tty.waitScreen("Reject 'api' — reason (the next attempt reads it): ▌");
    tty.keys('the examples do not run');
    await tty.waitScreen('reads it): the examples do not run▌');
    tty.keys('\r');
    await tty.waitScreen("Rejected 'api' (1/3) — re-opened; the next attempt gets your reason");
    expect(p.task('api')).toMatchObject({ status: 'open', rejection_count: 1 });
    await tty.waitScreen(/Validation\s+external \(rejected 1\/3\)/);
    await tty.waitScreen('Task rejected (1/3): the examples do'); // the inspector's line is cut at its width
    expect(p.ok(['show', 'api']).stdout).toContain('Task rejected (1/3): the examples do not run');

    // m: a prompt; Esc cancels, no message; m, text, Enter: wg msg send's message, wg msg list shows it.
    tty.keys('m');
    await tty.waitScreen("Message to 'api': ▌");
    tty.keys('never sent');
    await tty.waitScreen("Message to 'api': never sent▌");
    tty.keys('\x1b');
    await tty.waitScreen('cancelled');
    expect(p.ok(['msg', 'list', 'api']).stdout).toContain("No messages for 'api'");
    tty.keys('m');
    await tty.waitScreen("Message to 'api': ▌");
    tty.keys('please run the examples first\r');
    await tty.waitScreen("Message #1 sent to 'api'");
    const list = p.ok(['msg', 'list', 'api']).stdout;
    expect(list).toContain("Messages for 'api' (1):");
    expect(list).toContain('please run the examples first');
    expect(list).not.toContain('never sent');

    tty.keys('q');
    expect(await tty.exited).toBe(0);
  }, 120_000);

  it('refuses without a terminal, with a one-line error', () => {
    p = project();
    const r = p.run(['tui']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: wg tui needs a terminal/);
  });
});
