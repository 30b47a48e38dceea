/**
 * The work loop's service steps (wait-step.ts, work-loop.ts called from spawn.ts and exits.ts)
 * in the in-process daemon on an injected clock, asserted by their typed events in order:
 *   - an agent parks on a timer (`wg wait --until timer:1h`) and lingers: it is given kill_grace
 *     (core/plans/stop-agents.ts), not killed as a lost claim; nothing resumes while the clock
 *     stands still; advanced past the timer, the task resumes and the next agent finishes it;
 *   - `wg incomplete`: handed back (grace too), re-dispatched with the reason in the next prompt;
 *   - a task parked on `message` resumes on a human's `wg msg send` (its kick), no clock needed;
 *   - in a git project: the worktree is made before the spawn, the clean exit runs verify and
 *     lands the branch before the exit is applied, then the worktree is removed.
 * Agents are real shell processes calling the built `wg`; git is real.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitInit } from '../helpers/git.js';
import { oneTick, serviceHarness, story as storyOf, type InProcessService } from '../helpers/daemon.js';
import { waitFor } from '../helpers/proc.js';


const WORK_LOOP = new Set(['agent:spawned', 'agent:exited', 'agent:killed', 'wait:resumed', 'message:delivered', 'worktree:created', 'worktree:finished', 'worktree:cleaned', 'worktree:error']);

/** The lifecycle and work-loop events about `task` or its agents, as `event agent detail` strings. */
const story = (s: InProcessService, task: string): string[] => storyOf(s, task, WORK_LOOP);

describe('the work loop in the in-process service (injected clock)', () => {
  const svc = serviceHarness();

  it('parks on a timer: the lingering agent gets kill_grace; nothing resumes until the clock passes the timer; then the next agent finishes', async () => {
    const p = svc.project({ dispatcher: { kill_grace: '20s' } });
    const agent = p.script(
      p.w('agent.sh'),
      `if [ "$WG_AGENT_ID" = agent-1 ]; then
  wg wait "$WG_TASK_ID" --until timer:1h --checkpoint "half way"
  sleep 1  # still printing its last words after parking
  exit 0
fi
wg done "$WG_TASK_ID"
`,
    );
    const s = await svc.start(p);
    await p.wg(['add', 'Later', '--id', 'later', '--exec', `bash ${agent}`]);
    await s.next('agent:exited', { task: 'later', agent: 'agent-1' }, 0, 20_000);
    // It parked and left by itself: not stopped as a lost claim although its claim moved on.
    expect(story(s, 'later')).toEqual(['agent:spawned agent-1', 'agent:exited agent-1 none']);
    expect(p.task('later')).toMatchObject({ status: 'waiting', checkpoint: 'half way' });
    // Real time passes, the clock does not: the timer holds.
    await oneTick(s);
    expect(s.of('wait:resumed')).toEqual([]);
    expect(p.task('later').status).toBe('waiting');

    s.clock.advance(60 * 60_000 + 1000);
    s.daemon.requestTick(0);
    const resumed = await s.next('wait:resumed', { task: 'later' });
    expect(resumed.condition).toMatch(/^timer:\d{4}-/);
    await s.next('agent:exited', { task: 'later', agent: 'agent-2' }, 0, 20_000);
    expect(story(s, 'later')).toEqual(['agent:spawned agent-1', 'agent:exited agent-1 none', 'wait:resumed', 'agent:spawned agent-2', 'agent:exited agent-2 none']);
    // agent-2 ran its own `wg done`: its exit changes nothing.
    expect(p.task('later')).toMatchObject({ status: 'done', assigned: 'agent-2' });
    // The resumed attempt's prompt carried the checkpoint.
    expect(readFileSync(join(p.wgDir, 'agents', 'agent-2', 'prompt.txt'), 'utf8')).toContain('half way');
  });

  it('incomplete: the agent hands the task back and leaves by itself; re-dispatched at once, counted, the reason in the next prompt', async () => {
    const p = svc.project({ dispatcher: { kill_grace: '20s' } });
    const agent = p.script(
      p.w('pass.sh'),
      `if [ "$WG_AGENT_ID" = agent-1 ]; then
  wg incomplete "$WG_TASK_ID" --reason "two tests left"
  sleep 1
  exit 0
fi
wg done "$WG_TASK_ID"
`,
    );
    const s = await svc.start(p);
    await p.wg(['add', 'Pass', '--id', 'pass', '--exec', `bash ${agent}`]);
    await s.next('agent:exited', { task: 'pass', agent: 'agent-2' }, 0, 30_000);
    await s.next('agent:exited', { task: 'pass', agent: 'agent-1' }, 0, 30_000);
    // agent-2 started at once, while agent-1 was still leaving; agent-1 was let go, not killed.
    const st = story(s, 'pass');
    expect([...st].sort()).toEqual(['agent:exited agent-1 none', 'agent:exited agent-2 none', 'agent:spawned agent-1', 'agent:spawned agent-2']);
    expect(st.indexOf('agent:spawned agent-2')).toBeLessThan(st.indexOf('agent:exited agent-1 none'));
    expect(p.task('pass')).toMatchObject({ status: 'done', retry_count: 1 });
    expect(readFileSync(join(p.wgDir, 'agents', 'agent-2', 'prompt.txt'), 'utf8')).toContain('two tests left');
  });

  it('parks on a message: a human’s wg msg send resumes it at once (its kick), no clock advance', async () => {
    const p = svc.project();
    const agent = p.script(
      p.w('ask.sh'),
      `if [ "$WG_AGENT_ID" = agent-1 ]; then
  wg msg send "$WG_TASK_ID" "which colour?"
  wg wait "$WG_TASK_ID" --until human-input
  exit 0
fi
wg msg read --json > "${p.w('answer.json')}"
wg done "$WG_TASK_ID"
`,
    );
    const s = await svc.start(p);
    await p.wg(['add', 'Ask', '--id', 'ask', '--exec', `bash ${agent}`]);
    await s.next('agent:exited', { task: 'ask', agent: 'agent-1' }, 0, 20_000);
    expect(p.task('ask').status).toBe('waiting');
    const mark = s.events.length;
    expect((await p.wg(['msg', 'send', 'ask', 'blue'], { WG_AGENT_ID: undefined, WG_USER: 'alice' })).code).toBe(0);
    await s.next('wait:resumed', { task: 'ask', condition: 'human-input' }, mark);
    await s.next('agent:exited', { task: 'ask', agent: 'agent-2' }, mark, 20_000);
    expect(p.task('ask').status).toBe('done');
    expect(readFileSync(p.w('answer.json'), 'utf8')).toContain('blue');
  });

  it('in a git project: worktree before the spawn; a clean exit verifies and lands its branch, then the worktree goes', async () => {
    const p = svc.project();
    gitInit(p.dir);
    const agent = p.script(p.w('write.sh'), `echo done > result.txt\ngit add result.txt && git -c user.name=a -c user.email=a@a commit -qm "write result"\n`);
    const s = await svc.start(p);
    await p.wg(['add', 'Write', '--id', 'write', '--exec', `bash ${agent}`, '--verify', 'test -f result.txt']);
    await s.next('worktree:cleaned', { agent: 'agent-1' }, 0, 30_000);
    expect(story(s, 'write')).toEqual(['worktree:created agent-1', 'agent:spawned agent-1', 'worktree:finished agent-1', 'agent:exited agent-1 done', 'worktree:cleaned agent-1']);
    const created = s.of('worktree:created', { agent: 'agent-1' })[0]!;
    expect(created.path).toBe(join(p.dir, '.wg-worktrees', 'agent-1'));
    expect(created.branch).toBe('wg/agent-1/write');
    const notes = s.of('worktree:finished', { agent: 'agent-1' })[0]!.notes;
    expect(notes[0]).toMatch(/^Verify passed/);
    expect(notes[1]).toMatch(/^Merged wg\/agent-1\/write into main \(fast-forward, /);
    expect(readFileSync(join(p.dir, 'result.txt'), 'utf8')).toBe('done\n');
    expect(existsSync(created.path)).toBe(false);
    await waitFor('the branch deleted', () => git(p.dir, 'branch', '--list', 'wg/*') === '');
    expect(p.task('write').status).toBe('done');
    expect(s.of('worktree:error')).toEqual([]);
  });

  it('in a git project: an agent’s uncommitted work survives wg incomplete — the next attempt, dispatched at once, continues from it', async () => {
    const p = svc.project({ dispatcher: { kill_grace: '20s' } });
    gitInit(p.dir);
    const agent = p.script(
      p.w('two-pass.sh'),
      `if [ "$WG_AGENT_ID" = agent-1 ]; then
  echo "first half" > part1.txt
  wg incomplete "$WG_TASK_ID" --reason "second half left"
  sleep 1
  exit 0
fi
if [ -f part1.txt ]; then echo "second half" > part2.txt; wg done "$WG_TASK_ID"; else wg fail "$WG_TASK_ID" --reason "part1.txt is missing"; fi
`,
    );
    const s = await svc.start(p);
    await p.wg(['add', 'Two passes', '--id', 'two', '--exec', `bash ${agent}`]);
    await s.next('worktree:cleaned', { agent: 'agent-2' }, 0, 30_000);
    expect(p.task('two')).toMatchObject({ status: 'done', assigned: 'agent-2' });
    expect(s.of('worktree:created', { agent: 'agent-2' })[0]!.continues).toBe('wg/agent-1/two');
    expect(readFileSync(join(p.dir, 'part1.txt'), 'utf8')).toBe('first half\n');
    expect(readFileSync(join(p.dir, 'part2.txt'), 'utf8')).toBe('second half\n');
    expect(git(p.dir, 'log', '--format=%s', 'main')).toContain('wg: two — work so far (incomplete: second half left) (agent-1)');
  });
});
