/**
 * The work loop with the REAL Claude Code CLI run by a real service (issue 11), against the
 * loopback Anthropic mock: the agent works in its own git worktree, asks a question with
 * `wg msg send` and parks with `wg wait --until human-input`; a human answers; the service
 * resumes the task and the second Claude session finds the answer in its prompt ("Messages for
 * you", recorded as delivered), commits in its worktree and `wg done` lands the branch.
 * And the REAL Codex CLI (loopback Responses mock): a first pass checkpoints and hands the task
 * back with `wg incomplete`; it is let go (kill_grace), not killed, so its usage is recorded; the
 * next pass, dispatched at once, continues its branch (the uncommitted work was committed by
 * `wg incomplete`), reads the checkpoint and the reason in its prompt, and lands the whole.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, codexConfigToml, IS_ROOT } from '../helpers/agent-cli.js';
import { git, gitInit } from '../helpers/git.js';
import { startAnthropicMock, type AnthropicMock } from '../helpers/mock-anthropic.js';
import { startOpenAiMock, type OpenAiMock } from '../helpers/mock-openai.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { waitFor } from '../helpers/proc.js';

let p: ServiceProject | undefined;
let mock: AnthropicMock | OpenAiMock | undefined;
let home: string | undefined;
afterEach(async () => {
  p?.cleanup();
  await mock?.close();
  if (home) rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  p = mock = home = undefined;
});

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
    gitInit(p.dir, { 'README.md': 'app\n' });
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

describe('real codex in the work loop, run by the service', () => {
  it('checkpoints and hands back with wg incomplete; the next pass continues its branch with the checkpoint and lands it', async () => {
    // Each session restarts at turn 0: the first pass writes part one and hands back; the second
    // finds part one in its worktree (the continued branch) and finishes.
    const codexMock = await startOpenAiMock([
      {
        shell:
          'if [ "$WG_AGENT_ID" = agent-1 ]; then echo "part one" > notes.txt && wg checkpoint "$WG_TASK_ID" "wrote part one of notes.txt" && wg incomplete "$WG_TASK_ID" --reason "part two left"; ' +
          'else grep -q "part one" notes.txt && echo "part two" >> notes.txt && wg done "$WG_TASK_ID"; fi',
      },
      { text: 'This pass is over.', usage: { input_tokens: 5000, output_tokens: 77 } },
    ]);
    mock = codexMock;
    p = serviceProject({ dispatcher: { executor: 'codex', kill_grace: '20s' } });
    gitInit(p.dir);
    symlinkSync(cliPath('codex'), join(p.binDir, 'codex'));
    home = mkdtempSync(join(tmpdir(), 'wg-codex-home-'));
    const codexHome = join(home, '.codex');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), codexConfigToml(codexMock.origin));
    p.add('notes');
    const start = p.run(['service', 'start', '--json'], { HOME: home, CODEX_HOME: codexHome, MOCK_OPENAI_API_KEY: 'sk-mock-key', LANG: 'C.UTF-8' });
    expect(start.code, start.stderr).toBe(0);
    p.daemonPids.add(start.json<{ pid: number }>().pid);

    await p.waitStatus('notes', 'done', 90_000);
    expect(p.task('notes')).toMatchObject({ assigned: 'agent-2', retry_count: 1, checkpoint: 'wrote part one of notes.txt' });
    // The second pass's prompt carried the checkpoint and the reason of the first.
    const second = codexMock.responseRequests().map((r) => JSON.stringify(r.json)).find((t) => t.includes('You are agent-2'))!;
    expect(second).toContain('wrote part one of notes.txt');
    expect(second).toContain('part two left');
    // The whole landed: part one (committed by wg incomplete) and part two.
    expect(readFileSync(join(p.dir, 'notes.txt'), 'utf8')).toBe('part one\npart two\n');
    expect(git(p.dir, 'log', '--format=%s', 'main')).toContain('wg: notes — work so far (incomplete: part two left) (agent-1)');
    // The first pass left by itself after its last message: not killed, its usage recorded.
    await waitFor('agent-1 exited', () => p!.agents()['agent-1']?.exit_code !== undefined, 30_000);
    expect(p.agents()['agent-1']).toMatchObject({ exit_code: 0, exit_reason: 'exited with code 0' });
    expect(p.agents()['agent-1']!.token_usage).toBeTruthy();
    expect(p.events('agent:killed')).toEqual([]);
  });
});

