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
import { project, serviceProject, type Project } from '../helpers/project.js';
import type { Pty } from '../helpers/pty.js';
import { expectCancelled, expectQuits, startTui as tui } from '../helpers/tui.js';

let p: Project | undefined;
let tty: Pty | undefined;

afterEach(async () => {
  await tty?.stop();
  tty = undefined;
  p?.cleanup();
  p = undefined;
});

function graph(q: Project): void {
  q.addFinished('design', 'Design the schema');
  q.addFinished('build', 'Build the API', { add: ['--after', 'design'], as: 'bob', fail: 'compiler crashed' });
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
    screen = await tty.press('j', 'Failure reason');
    expect(screen).toContain('compiler crashed');
    expect(screen).toContain('2/4');

    // u then n: asked, cancelled, nothing written.
    await expectCancelled(tty, p, [['u', "Unclaim 'build'? It goes back to open for anyone.  [y/n]"]], 'n');

    // r then y: the retry, with wg retry's own message.
    await tty.press('r', "Retry 'build'? It is re-queued (its live agent, if any, is killed).  [y/n]");
    expect(p.task('build').status).toBe('failed');
    await tty.press('y', "Re-queued 'build' (retry 1)");
    expect(p.task('build')).toMatchObject({ status: 'open', retry_count: 1 });
    screen = await tty.waitScreen(/open\s+build\s+Build the API/);
    expect(screen).toContain('Retry requested');

    // A change by another process shows up without a key press.
    p.ok(['add', 'Hotfix the login', '--id', 'hotfix']);
    screen = await tty.waitScreen('hotfix');
    expect(screen).toMatch(/5 tasks/);

    // Tab: the dependency tree of unfinished work; Tab: the agents pane (none yet).
    screen = await tty.press('\t', 'tree ·');
    expect(screen).toMatch(/└.*build/);
    await tty.press('\t', 'agents ·');

    await tty.press('\t', 'tasks · filter: all');

    // q quits cleanly.
    await expectQuits(tty);
  }, 120_000);

  it('f filters to stuck work (failed first, then what waits behind it); / searches; K with no agent says so', async () => {
    p = project();
    graph(p);
    tty = tui(p);
    await tty.waitScreen('filter: all');
    let screen = await tty.press('f', 'filter: stuck');
    expect(screen).toMatch(/failed\s+failed\s+build/);
    expect(screen).toMatch(/blocked-by-failed\s+deploy/);
    expect(screen).not.toMatch(/docs/);
    await tty.press('K', "'build' has no running agent to kill.");
    await tty.press('F', 'filter: all');
    await tty.press('/', 'search: ');
    screen = await tty.press('docs\r', '/docs');
    expect(screen).toMatch(/open\s+docs\s+Write the docs/);
    expect(screen).not.toMatch(/Build the API/);
    await expectQuits(tty);
  }, 120_000);

  it('with a real service: the agents pane shows the agent, its output tail and idle time; K asks, y kills it through wg kill', async () => {
    p = serviceProject();
    p.addFinished('design', 'Design the schema');
    p.ok(['add', 'Long job', '--id', 'long', '--after', 'design', '--exec', 'echo "step one: migrating"; sleep 300']);
    p.ok(['add', 'Ship it', '--id', 'ship', '--after', 'long', '--exec', 'true']);
    p.addFinished('flaky', 'Flaky check', { fail: 'network timeout' });
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
    await tty.press('\t', 'tree ·');
    screen = await tty.press('\t', 'agents · 1/1');
    expect(screen).toContain('Agent ' + agent.id + ' output:');
    await tty.press('K', `Kill ${agent.id} (working on 'long')? Its task is released and paused.  [y/n]`);
    await tty.press('y', `Killed ${agent.id}; 'long' released and paused (wg resume long)`);
    expect(p.task('long')).toMatchObject({ status: 'open', paused: true });
    expect(p.agents()[agent.id]!.status).toBe('dead');
    await expectQuits(tty);
  }, 120_000);

  it('approve, reject with a typed reason, message: each asks first; Esc cancels and changes nothing (CI=true)', async () => {
    p = project();
    for (const [id, title] of [['doc', 'Write the docs'], ['api', 'Build the API']] as const) p.addFinished(id, title, { add: ['--validation', 'A human reads it'] });
    expect(p.task('doc').status).toBe('pending-validation');
    expect(p.task('api').status).toBe('pending-validation');
    tty = tui(p, '', { CI: 'true' });
    await tty.waitScreen(/pending-valid\s+doc\s+Write the docs/);
    await tty.waitScreen('1/2');

    // a: asked; n cancels (nothing written); a, y: wg approve's own message, the task is done.
    await expectCancelled(tty, p, [['a', "Approve 'doc'? It is done (its worktree branch, if any, lands).  [y/n]"]], 'n');
    await tty.press('a', "Approve 'doc'?");
    await tty.press('y', "Approved 'doc' — it is done");
    expect(p.task('doc').status).toBe('done');
    await tty.waitScreen(/done\s+doc\s+Write the docs/);

    // R on api: a prompt; Esc cancels with the reason half typed, nothing written.
    await tty.press('j', '2/2');
    await expectCancelled(
      tty,
      p,
      [
        ['R', "Reject 'api' — reason (the next attempt reads it): ▌"],
        ['not like', 'reason (the next attempt reads it): not like▌'],
      ],
      '\x1b',
    );
    expect(p.task('api').status).toBe('pending-validation');
    // R, a typed reason, Enter: wg reject's message; the task is open with the reason on its page.
    await tty.press('R', "Reject 'api' — reason (the next attempt reads it): ▌");
    await tty.press('the examples do not run', 'reads it): the examples do not run▌');
    await tty.press('\r', "Rejected 'api' (1/3) — re-opened; the next attempt gets your reason");
    expect(p.task('api')).toMatchObject({ status: 'open', rejection_count: 1 });
    await tty.waitScreen(/Validation\s+external \(rejected 1\/3\)/);
    await tty.waitScreen('Task rejected (1/3): the examples do'); // the inspector's line is cut at its width
    expect(p.ok(['show', 'api']).stdout).toContain('Task rejected (1/3): the examples do not run');

    // m: a prompt; Esc cancels, no message; m, text, Enter: wg msg send's message, wg msg list shows it.
    await expectCancelled(
      tty,
      p,
      [
        ['m', "Message to 'api': ▌"],
        ['never sent', "Message to 'api': never sent▌"],
      ],
      '\x1b',
    );
    expect(p.ok(['msg', 'list', 'api']).stdout).toContain("No messages for 'api'");
    await tty.press('m', "Message to 'api': ▌");
    await tty.press('please run the examples first\r', "Message #1 sent to 'api'");
    const list = p.ok(['msg', 'list', 'api']).stdout;
    expect(list).toContain("Messages for 'api' (1):");
    expect(list).toContain('please run the examples first');
    expect(list).not.toContain('never sent');

    await expectQuits(tty);
  }, 120_000);

  it('refuses without a terminal, with a one-line error', () => {
    p = project();
    const r = p.run(['tui']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: wg tui needs a terminal/);
  });
});
