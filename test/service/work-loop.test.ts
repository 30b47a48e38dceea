/**
 * The agent's work loop end to end (issue 11): a real service, real agent processes (shell
 * scripts calling the built `wg`), real git. An agent asks a question and a human answers; a
 * task waits on another and resumes; a checkpointed task is killed and its retry's prompt
 * carries the checkpoint; two agents edit one file in their own worktrees (both land, or the
 * conflict is reported); a verify command gates done; reject → the next attempt sees the
 * reason → approve lands the branch; publish releases a draft.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, gitInit } from '../helpers/git.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { waitFor } from '../helpers/proc.js';

let p: ServiceProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});


const prompt = (q: ServiceProject, agent: string): string => readFileSync(join(q.wgDir, 'agents', agent, 'prompt.txt'), 'utf8');

describe('the work loop in a real service run', () => {
  it('an agent asks with wg msg and parks; a human answers; the task resumes and the agent continues with the answer', async () => {
    p = serviceProject();
    const answer = p.w('answer.txt');
    const agent = p.script(
      p.w('ask.sh'),
      `if wg msg poll >/dev/null; then
  wg msg read > "${answer}"
  wg log "$WG_TASK_ID" "got my answer"
  exit 0
fi
wg msg send "$WG_TASK_ID" "Which colour should the button be?"
wg wait "$WG_TASK_ID" --until human-input --checkpoint "asked which colour; the rest is ready"
`,
    );
    p.add('button', ['--exec', `bash ${agent}`]);
    p.start();
    await p.waitStatus('button', 'waiting', 15_000);
    expect(p.ok(['service', 'status']).stdout).toMatch(/Waiting for a human:\n {2}- button: waiting for human-input/);
    const asked = p.ok(['msg', 'list', 'button', '--json']).json<Array<{ sender: string; body: string }>>();
    expect(asked).toEqual([expect.objectContaining({ sender: 'agent-1', body: 'Which colour should the button be?' })]);
    const t0 = Date.now();
    p.ok(['msg', 'send', 'button', 'Blue, please']);
    await p.waitStatus('button', 'done', 15_000);
    console.log(`[work-loop] human answer → task done in ${Date.now() - t0} ms`);
    expect(readFileSync(answer, 'utf8')).toContain('tester: Blue, please');
    expect(p.events('wait:resumed').map((l) => l.task)).toEqual(['button']);
    expect(p.agentsOf('button').map((a) => a.id)).toEqual(['agent-1', 'agent-2']);
    expect(p.task('button').checkpoint).toBe('asked which colour; the rest is ready');
    expect(prompt(p, 'agent-2')).toContain('## Checkpoint (where the previous attempt stood)\n\nasked which colour; the rest is ready');
  });

  it('a task waits on another and resumes when it is done; the resumed attempt reads its checkpoint with wg context', async () => {
    p = serviceProject();
    const seen = p.w('seen.txt');
    const slow = p.script(p.w('slow.sh'), `sleep 2; echo built > "${p.w('built.txt')}"\n`);
    const waiter = p.script(
      p.w('waiter.sh'),
      `if [ -f "${p.w('built.txt')}" ]; then wg context > "${seen}"; exit 0; fi
wg wait "$WG_TASK_ID" --until task:build --checkpoint "set up; needs build's output"
`,
    );
    p.add('build', ['--exec', `bash ${slow}`]);
    p.add('ship', ['--exec', `bash ${waiter}`]);
    p.start();
    await p.waitStatus('ship', 'done', 20_000);
    expect(p.task('build').status).toBe('done');
    const log = p.task('ship').log!.map((e) => e.message);
    expect(log).toEqual(expect.arrayContaining(['Agent parked. Waiting for: task:build', 'Wait condition met (task:build=done): task resumed']));
    expect(readFileSync(seen, 'utf8')).toContain("set up; needs build's output");
    expect(p.agentsOf('ship')).toHaveLength(2);
  });

  it('a checkpointed task is killed; its retry’s prompt carries the checkpoint', async () => {
    p = serviceProject();
    const marker = p.w('second-run');
    const agent = p.script(
      p.w('long.sh'),
      `if [ -f "${p.w('first-run')}" ]; then touch "${marker}"; exit 0; fi
touch "${p.w('first-run')}"
wg checkpoint "$WG_TASK_ID" "migrated tables 1-40 of 90; next: table 41"
sleep 300
`,
    );
    p.add('migrate', ['--exec', `bash ${agent}`]);
    p.start();
    const first = await p.runningAgent('migrate');
    await p.waitTask('migrate', (t) => t.checkpoint === 'migrated tables 1-40 of 90; next: table 41', 'checkpointed', 15_000);
    process.kill(-first.pgid, 'SIGKILL'); // a crash: the service re-queues it
    await p.waitStatus('migrate', 'done', 20_000);
    expect(existsSync(marker)).toBe(true);
    const second = p.agentsOf('migrate').at(-1)!.id;
    expect(second).not.toBe(first.id);
    expect(prompt(p, second)).toContain('## Checkpoint (where the previous attempt stood)\n\nmigrated tables 1-40 of 90; next: table 41');
    expect(prompt(p, second)).toMatch(/## Previous attempts[\s\S]*killed by SIGKILL/);
  });

  it('two agents edit the same file in separate worktrees: both merges land', async () => {
    p = serviceProject({ dispatcher: { max_agents: 2 } });
    gitInit(p.dir, { 'shared.txt': 'header\n\nmiddle\n\nfooter\n' });
    const edit = (from: string, to: string): string =>
      p!.script(
        p!.w(`edit-${to}.sh`),
        `touch "${p!.w('started')}-$WG_TASK_ID"
for i in $(seq 1 100); do [ -f "${p!.w('started')}-top" ] && [ -f "${p!.w('started')}-bottom" ] && break; sleep 0.1; done
pwd > "${p!.w('cwd')}-$WG_TASK_ID"
sed -i 's/^${from}$/${to}/' shared.txt
git add shared.txt && git -c user.name=a -c user.email=a@a commit -qm "$WG_TASK_ID edits shared.txt"
`,
      );
    p.add('top', ['--exec', `bash ${edit('header', 'HEADER')}`]);
    p.add('bottom', ['--exec', `bash ${edit('footer', 'FOOTER')}`]);
    p.start();
    await p.waitStatus('top', 'done', 20_000);
    await p.waitStatus('bottom', 'done', 20_000);
    // Each ran in its own worktree, at the same time.
    expect(readFileSync(p.w('cwd') + '-top', 'utf8').trim()).toMatch(/\/\.wg-worktrees\/agent-\d+$/);
    expect(readFileSync(p.w('cwd') + '-bottom', 'utf8').trim()).not.toBe(readFileSync(p.w('cwd') + '-top', 'utf8').trim());
    expect(readFileSync(join(p.dir, 'shared.txt'), 'utf8')).toBe('HEADER\n\nmiddle\n\nFOOTER\n');
    const merges = [...p.task('top').log!, ...p.task('bottom').log!].map((e) => e.message).filter((m) => m.startsWith('Merged '));
    expect(merges.map((m) => /\((fast-forward|merge-commit), /.exec(m)![1]).sort()).toEqual(['fast-forward', 'merge-commit']);
    expect(git(p.dir, 'status', '--porcelain')).toBe('');
    // Cleaned after the merge: no worktree, no wg/ branch left.
    await waitFor('worktrees removed', () => !existsSync(join(p!.dir, '.wg-worktrees', 'agent-1')) && !existsSync(join(p!.dir, '.wg-worktrees', 'agent-2')), 10_000);
    await waitFor('branches deleted', () => git(p!.dir, 'branch', '--list', 'wg/*') === '', 10_000);
  });

  it('two agents rewrite the same line: the second merge conflicts, which the log, wg show and wg status report; the branch is kept', async () => {
    p = serviceProject({ dispatcher: { max_agents: 2 } });
    gitInit(p.dir, { 'shared.txt': 'v1\n' });
    const rewrite = p.script(
      p.w('rewrite.sh'),
      `touch "${p.w('started')}-$WG_TASK_ID"
for i in $(seq 1 100); do [ -f "${p.w('started')}-a" ] && [ -f "${p.w('started')}-b" ] && break; sleep 0.1; done
echo "written by $WG_TASK_ID" > shared.txt
`,
    );
    p.add('a', ['--exec', `bash ${rewrite}`]);
    p.add('b', ['--exec', `bash ${rewrite}`]);
    p.start();
    await p.waitStatus('a', 'done', 20_000);
    await p.waitStatus('b', 'done', 20_000);
    const lost = ['a', 'b'].find((id) => p!.task(id).log!.some((e) => e.message.includes('NOT merged')))!;
    const won = lost === 'a' ? 'b' : 'a';
    expect(readFileSync(join(p.dir, 'shared.txt'), 'utf8')).toBe(`written by ${won}\n`);
    const note = p.task(lost).log!.find((e) => e.message.includes('NOT merged'))!.message;
    expect(note).toMatch(new RegExp(`^Branch wg/agent-\\d+/${lost} NOT merged: conflict with main in shared\\.txt — left for review$`));
    const branch = /^Branch (\S+) /.exec(note)![1]!;
    expect(p.ok(['show', lost]).stdout).toMatch(/Worktree +wg\/agent-\d+\/\w \(agent-\d+\): unmerged — conflict in shared\.txt — left for review/);
    expect(p.ok(['status']).stdout).toContain(`${lost}: agent-`);
    expect(p.ok(['service', 'status']).stdout).toContain(`branch ${branch} is not merged: conflict in shared.txt`);
    await waitFor('the worktree archived', () => !existsSync(join(p!.dir, '.wg-worktrees', branch.split('/')[1]!)), 10_000);
    expect(git(p.dir, 'show', `${branch}:shared.txt`)).toBe(`written by ${lost}`);
  });

  it('a verify command gates done: the clean exit fails while it fails; fixed and retried, the task is done', async () => {
    p = serviceProject();
    const flag = p.w('tests-pass');
    p.add('feature', ['--exec', 'echo built', '--verify', `test -f ${flag} || { echo "2 tests failing"; exit 1; }`]);
    p.start();
    await p.waitStatus('feature', 'failed', 15_000);
    expect(p.task('feature').failure_reason).toMatch(/^Verify failed \(exit 1, [\d.]+s\): .* — 2 tests failing$/);
    writeFileSync(flag, '');
    p.ok(['retry', 'feature']);
    await p.waitStatus('feature', 'done', 15_000);
    expect(p.task('feature').log!.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Verify passed/)]));
  });

  it('validation: the work waits for a human; a rejection reaches the next attempt’s prompt; approve lands the branch; publish releases a draft', async () => {
    p = serviceProject();
    gitInit(p.dir, { 'README.md': 'project\n' });
    const attempt = p.script(
      p.w('write.sh'),
      `n=$(ls "${p.w('')}" | grep -c '^attempt-' || true)
touch "${p.w('attempt-')}$WG_AGENT_ID"
echo "guide, draft $((n+1))" > GUIDE.md
`,
    );
    p.add('guide', ['--exec', `bash ${attempt}`, '--validation', 'Has an example for every command']);
    p.start();
    await p.waitStatus('guide', 'pending-validation', 15_000);
    expect(existsSync(join(p.dir, 'GUIDE.md'))).toBe(false); // held on its branch until approved
    expect(p.ok(['status']).stdout).toContain('guide: finished, awaiting validation');
    p.ok(['reject', 'guide', '--reason', 'wg msg has no example']);
    await waitFor('a second attempt', () => p!.agentsOf('guide').length === 2, 15_000);
    await p.waitStatus('guide', 'pending-validation', 15_000);
    const second = p.agentsOf('guide')[1]!.id;
    expect(prompt(p, second)).toMatch(/## Review feedback \(your work was rejected — address every point\)\n\n- .* \(rejection 1\/3\): wg msg has no example/);
    expect(prompt(p, second)).toMatch(/It continues the branch of an earlier attempt \(wg\/agent-1\/guide\)/);
    p.ok(['approve', 'guide']);
    expect(p.task('guide').status).toBe('done');
    expect(readFileSync(join(p.dir, 'GUIDE.md'), 'utf8')).toBe('guide, draft 2\n');
    // publish: a draft and its paused downstream run only once published.
    p.add('draft', ['--paused', '--exec', 'true']);
    p.add('after-draft', ['--paused', '--after', 'draft', '--exec', 'true']);
    await p.ticks(2);
    expect(p.task('draft').status).toBe('open');
    p.ok(['publish', 'draft']);
    await p.waitStatus('after-draft', 'done', 15_000);
    expect(p.task('draft').status).toBe('done');
  });
});
