/**
 * The work loop with the REAL Claude Code CLI run by a real service (issue 11), against the
 * loopback Anthropic mock: the agent works in its own git worktree, asks a question with
 * `wg msg send` and parks with `wg wait --until human-input`; a human answers; the service
 * resumes the task and the second Claude session finds the answer in its prompt ("Messages for
 * you", recorded as delivered), commits in its worktree and `wg done` lands the branch.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, IS_ROOT } from '../helpers/agent-cli.js';
import { startAnthropicMock, type AnthropicMock } from '../helpers/mock-anthropic.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';

let p: ServiceProject | undefined;
let mock: AnthropicMock | undefined;
let home: string | undefined;
afterEach(async () => {
  p?.cleanup();
  await mock?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  p = mock = home = undefined;
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** The user message of a main-loop request (the prompt). */
const promptOf = (body: unknown): string => JSON.stringify((body as { messages?: unknown[] }).messages?.[0] ?? '');

describe('real claude in the work loop, run by the service', () => {
  it('asks, parks, gets the human answer in its resumed prompt, commits in its worktree, and wg done lands it', async () => {
    // The same script serves both sessions (each restarts at turn 0): ask and park unless the
    // answer is already on the task; then, with the answer, write the file, commit, finish.
    mock = await startAnthropicMock([
      { bash: 'wg msg list $WG_TASK_ID | grep -qi blue || { wg msg send $WG_TASK_ID "Which colour should the button be?" && wg wait $WG_TASK_ID --until human-input --checkpoint "asked for the colour"; }', text: 'Checking for an answer.' },
      { bash: 'wg msg list $WG_TASK_ID | grep -qi blue && echo blue > colour.txt && git add colour.txt && git -c user.name=a -c user.email=a@a commit -qm "button colour" && wg done $WG_TASK_ID || echo parked' },
      { text: 'Finished this turn.' },
    ]);
    p = serviceProject({ dispatcher: { executor: 'claude', kill_grace: '5s' } });
    git(p.dir, 'init', '-q', '-b', 'main');
    writeFileSync(join(p.dir, '.gitignore'), '.wg/\nwork/\nfakebin/\n');
    writeFileSync(join(p.dir, 'README.md'), 'app\n');
    git(p.dir, 'add', '.');
    git(p.dir, 'commit', '-qm', 'init');
    symlinkSync(cliPath('claude'), join(p.binDir, 'claude'));
    home = mkdtempSync(join(tmpdir(), 'wg-claude-home-'));
    mkdirSync(join(home, 'tmp'));
    p.add('button');
    const start = p.run(['service', 'start', '--json'], {
      HOME: home,
      TMPDIR: join(home, 'tmp'),
      LANG: 'C.UTF-8',
      ANTHROPIC_BASE_URL: mock.origin,
      ANTHROPIC_API_KEY: 'sk-ant-mock-key',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ...(IS_ROOT ? { IS_SANDBOX: '1' } : {}),
    });
    expect(start.code, start.stderr).toBe(0);
    p.daemonPids.add(start.json<{ pid: number }>().pid);

    await p.waitStatus('button', 'waiting', 60_000);
    expect(p.ok(['msg', 'list', 'button', '--json']).json<Array<{ sender: string; body: string }>>()).toEqual([expect.objectContaining({ sender: 'agent-1', body: 'Which colour should the button be?' })]);
    p.ok(['msg', 'send', 'button', 'Blue, please']);
    await p.waitStatus('button', 'done', 60_000);

    // The second session's prompt carried the answer, the checkpoint and its worktree.
    const second = mock.mainRequests().map((r) => promptOf(r.json)).find((t) => t.includes('You are agent-2'))!;
    expect(second).toContain('## Messages for you');
    expect(second).toMatch(/tester: Blue, please/);
    expect(second).toContain('asked for the colour');
    expect(second).toMatch(/## Your worktree[^#]*\.wg-worktrees\/agent-2 \(branch wg\/agent-2\/button, merged into main by wg done\)/);
    const listed = p.ok(['msg', 'list', 'button', '--json']).json<Array<{ id: number; delivered_to: string[] }>>();
    expect(listed.find((m) => m.id === 2)!.delivered_to).toContain('agent-2');
    // The work landed on main in the project's checkout; the worktrees are gone.
    expect(readFileSync(join(p.dir, 'colour.txt'), 'utf8')).toBe('blue\n');
    expect(git(p.dir, 'log', '--format=%s', '-1', '--', 'colour.txt')).toBe('button colour');
    expect(p.task('button').log!.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Merged wg\/agent-2\/button into main/)]));
    expect(p.events('message:delivered')).toEqual([expect.objectContaining({ agent: 'agent-2', task: 'button', messages: 2 })]);
  });
});
