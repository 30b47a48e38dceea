/**
 * The work-loop commands through the built `wg` (issue 11): the verify gate, approve / reject /
 * publish, messages (cursor per reader, agent targets, fencing, concurrent senders), context,
 * discover, checkpoint, incomplete, wait, next --claim under contention, subtasks.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { project, type Project } from '../helpers/project.js';
import { isOneLineError, wgAsync } from '../helpers/wg.js';

let p: Project | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

const asAgent = (agentId: string, taskId: string, epoch: number) => ({ WG_AGENT_ID: agentId, WG_TASK_ID: taskId, WG_CLAIM_EPOCH: String(epoch) });

describe('the verify gate', () => {
  it('done runs the verify command: a failure refuses (logged, counted, its output shown); a pass is logged; agents cannot skip it', () => {
    p = project();
    p.add('build', ['--verify', 'test -f built.txt || { echo "built.txt is missing"; exit 3; }']);
    p.seed([{ id: 'build', title: 'build', status: 'in-progress', assigned: 'agent-1', claim_epoch: 1, verify: 'test -f built.txt || { echo "built.txt is missing"; exit 3; }' }]);
    const fail = p.run(['done', 'build'], asAgent('agent-1', 'build', 1));
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('  | built.txt is missing');
    expect(fail.stderr).toMatch(/error: verify failed for 'build' \(exit 3\)/);
    expect(p.task('build')).toMatchObject({ status: 'in-progress', verify_failures: 1 });
    expect(p.task('build').log!.at(-1)!.message).toMatch(/^Verify failed \(exit 3, [\d.]+s\): .* — built\.txt is missing/);
    const skip = p.run(['done', 'build', '--skip-verify'], asAgent('agent-1', 'build', 1));
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('agents cannot skip the verify gate');
    writeFileSync(join(p.dir, 'built.txt'), 'ok');
    p.ok(['done', 'build'], asAgent('agent-1', 'build', 1));
    expect(p.task('build').status).toBe('done');
    expect(p.task('build').log!.map((e) => e.message)).toContain(p.task('build').log!.find((e) => e.message.startsWith('Verify passed'))!.message);
  });

  it('a human may skip it (logged); a verify that hangs is killed at its timeout', () => {
    p = project();
    p.add('slow', ['--verify', 'sleep 30', '--verify-timeout', '1s']);
    const t0 = Date.now();
    const r = p.run(['done', 'slow']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('timed out');
    expect(Date.now() - t0).toBeLessThan(10_000);
    p.ok(['done', 'slow', '--skip-verify']);
    expect(p.task('slow').log!.at(-2)!.message).toBe('Verify skipped by tester: sleep 30');
  });
});

describe('approve, reject, publish', () => {
  it('validation: done → pending-validation; reject re-opens with the reason; the last allowed rejection fails; approve → done', () => {
    p = project();
    p.add('doc', ['--validation', 'Every command has an example', '--max-rejections', '2']);
    expect(p.task('doc')).toMatchObject({ validation: 'external', max_rejections: 2, description: '## Validation\nEvery command has an example' });
    p.ok(['done', 'doc']);
    expect(p.task('doc').status).toBe('pending-validation');
    expect(p.ok(['status']).stdout).toMatch(/Waiting for a human:\n {2}doc: finished, awaiting validation\n {6}→ wg approve doc/);
    const rej = p.ok(['reject', 'doc', '--reason', 'wg msg has no example']);
    expect(rej.stdout).toContain("Rejected 'doc' (1/2)");
    expect(p.task('doc')).toMatchObject({ status: 'open', rejection_count: 1 });
    p.ok(['done', 'doc']);
    p.ok(['reject', 'doc', '--reason', 'still none', '--json']);
    expect(p.task('doc')).toMatchObject({ status: 'failed', failure_reason: 'Exceeded max rejections (2/2): still none' });
    // approve
    p.add('ok', ['--validation', 'external']);
    p.ok(['done', 'ok']);
    expect(p.ok(['approve', 'ok']).stdout).toContain("Approved 'ok'");
    expect(p.task('ok').status).toBe('done');
    expect(p.ok(['approve', 'ok']).stdout).toContain('already done');
    const bad = p.run(['reject', 'ok', '--reason', 'x']);
    expect(bad.code).toBe(1);
    expect(isOneLineError(bad.stderr)).toBe(true);
    expect(p.run(['reject', 'ok']).code).toBe(2); // --reason is required
  });

  it('an agent cannot approve its own work', () => {
    p = project();
    p.seed([{ id: 'v', title: 'v', status: 'pending-validation', assigned: 'agent-1', claim_epoch: 1, validation: 'external' }]);
    const r = p.run(['approve', 'v'], asAgent('agent-1', 'v', 1));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('agent-1 cannot approve its own task');
  });

  it('publish releases a draft and its paused downstream at once; a phantom dependency refuses it', () => {
    p = project();
    p.add('draft', ['--paused']);
    p.add('next', ['--paused', '--after', 'draft']);
    expect(p.ok(['ready', '--json']).json<unknown[]>()).toEqual([]);
    expect(p.ok(['publish', 'draft']).stdout).toContain("Published 'draft' and 1 downstream task(s): draft, next");
    expect(p.task('draft').paused).toBeUndefined();
    expect(p.task('next').paused).toBeUndefined();
    p.add('ghostly', ['--paused', '--after', 'ghost', '--allow-phantom']);
    const r = p.run(['publish', 'ghostly']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("depends on 'ghost', which does not exist");
    expect(p.task('ghostly').paused).toBe(true);
  });
});

describe('wg msg', () => {
  it('send / list / read / poll: a cursor per reader; an agent id targets its task', () => {
    p = project();
    p.add('t');
    p.writeRegistry([{ id: 'agent-7', task_id: 't', status: 'working' }]);
    expect(p.ok(['msg', 'send', 't', 'hello from a human']).stdout).toBe("Message #1 sent to 't'\n");
    expect(p.ok(['msg', 'send', 'agent-7', 'second']).stdout).toBe("Message #2 sent to 't' (agent-7's task)\n");
    const poll = p.run(['msg', 'poll', 't', '--agent', 'agent-7']);
    expect(poll.code).toBe(0);
    const read = p.ok(['msg', 'read', 't', '--json'], { WG_AGENT_ID: 'agent-7' }).json<Array<{ id: number; sender: string; body: string }>>();
    expect(read.map((m) => [m.id, m.sender, m.body])).toEqual([
      [1, 'tester', 'hello from a human'],
      [2, 'tester', 'second'],
    ]);
    expect(p.run(['msg', 'poll', 't'], { WG_AGENT_ID: 'agent-7' }).code).toBe(1);
    expect(p.ok(['msg', 'read', 't'], { WG_AGENT_ID: 'agent-7' }).stdout).toContain('No unread messages');
    // Another reader still has both.
    expect(p.ok(['msg', 'read', 't', '--agent', 'alice', '--json']).json<unknown[]>()).toHaveLength(2);
    const list = p.ok(['msg', 'list', 't', '--json']).json<Array<{ id: number; status: string; read_by: string[] }>>();
    expect(list.map((m) => [m.id, m.status, m.read_by.sort()])).toEqual([
      [1, 'read', ['agent-7', 'alice']],
      [2, 'read', ['agent-7', 'alice']],
    ]);
    // The file is the Rust tool's layout.
    const lines = readFileSync(join(p.wgDir, 'messages', 't.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ id: 1, sender: 'tester', body: 'hello from a human', priority: 'normal', status: 'sent' });
    expect(readFileSync(join(p.wgDir, 'messages', '.cursors', 'agent-7.t'), 'utf8')).toBe('2\n');
    // Defaults: WG_TASK_ID for read; the sender is the agent.
    p.ok(['msg', 'send', 't', 'from the agent'], { WG_AGENT_ID: 'agent-7' });
    expect(p.ok(['msg', 'list', 't', '--json']).json<Array<{ sender: string }>>().at(-1)!.sender).toBe('agent-7');
  });

  it('is fenced: an agent that lost its claim cannot send or read (exit 3, nothing written)', () => {
    p = project();
    p.seed([{ id: 't', title: 't', status: 'in-progress', assigned: 'agent-2', claim_epoch: 5 }]);
    const r = p.run(['msg', 'send', 't', 'zombie says hi'], asAgent('agent-1', 't', 4));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("claim lost: task 't' is now held by agent-2 (epoch 5)");
    expect(existsSync(join(p.wgDir, 'messages', 't.jsonl'))).toBe(false);
    expect(p.run(['msg', 'read', 't'], asAgent('agent-1', 't', 4)).code).toBe(3);
    p.ok(['msg', 'send', 't', 'holder ok'], asAgent('agent-2', 't', 5));
  });

  it('concurrent senders: every message kept, ids 1..N without a gap or a duplicate', async () => {
    p = project();
    p.add('t');
    const n = 16;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => p!.wg(['msg', 'send', 't', `m${i}`])));
    expect(results.every((r) => r.code === 0)).toBe(true);
    const msgs = p.ok(['msg', 'list', 't', '--json']).json<Array<{ id: number; body: string }>>();
    expect(msgs.map((m) => m.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(msgs.map((m) => m.body)).size).toBe(n);
  });

  it('a partial last line (a sender killed mid-write) is skipped and cut off by the next send', () => {
    p = project();
    p.add('t');
    p.ok(['msg', 'send', 't', 'one']);
    const file = join(p.wgDir, 'messages', 't.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8') + '{"id":2,"timestamp":"2026');
    expect(p.ok(['msg', 'list', 't', '--json']).json<unknown[]>()).toHaveLength(1);
    p.ok(['msg', 'send', 't', 'two']);
    expect(p.ok(['msg', 'list', 't', '--json']).json<Array<{ id: number; body: string }>>().map((m) => [m.id, m.body])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('errors: unknown task, unknown agent, empty text, bad priority', () => {
    p = project();
    p.add('t');
    const unknown = p.run(['msg', 'send', 'tt', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("did you mean 't'");
    expect(p.run(['msg', 'send', 'agent-99', 'x']).code).toBe(2);
    expect(p.run(['msg', 'send', 't', '  ']).code).toBe(2);
    expect(p.run(['msg', 'send', 't', 'x', '--priority', 'high']).code).toBe(2);
    expect(p.run(['msg', 'read']).code).toBe(2);
  });
});

describe('context, discover, checkpoint, incomplete, wait', () => {
  it('context shows what the dependencies produced, the checkpoint, rejections and unread messages', () => {
    p = project();
    p.add('parse');
    p.ok(['artifact', 'parse', 'out/ast.json']);
    p.ok(['log', 'parse', 'wrote the parser']);
    p.ok(['done', 'parse']);
    p.add('emit', ['--after', 'parse']);
    p.ok(['claim', 'emit']);
    p.ok(['checkpoint', 'emit', 'emitted 3 of 5 node kinds']);
    p.ok(['msg', 'send', 'emit', 'use tabs']);
    const out = p.ok(['context', 'emit']).stdout;
    expect(out).toContain('## Checkpoint (where the previous attempt stood)\n\nemitted 3 of 5 node kinds');
    expect(out).toContain('### parse (done): Task parse\nArtifacts:\n- out/ast.json');
    expect(out).toContain('wrote the parser');
    expect(out).toMatch(/## Messages for you\n\n- #1 \[.*\] tester: use tabs/);
    // Shown, not marked read.
    expect(p.run(['msg', 'poll', 'emit']).code).toBe(0);
    const j = p.ok(['context', '--json'], { WG_TASK_ID: 'emit' }).json<{ id: string; dependencies: unknown[] }>();
    expect(j.id).toBe('emit');
    expect(j.dependencies).toHaveLength(1);
    expect(p.ok(['checkpoint', 'emit', '--list']).stdout).toContain('emitted 3 of 5 node kinds');
    const disc = p.ok(['discover', '--with-artifacts']).stdout;
    expect(disc).toMatch(/parse: Task parse\n {6}artifact: out\/ast\.json\n {6}last log: wrote the parser/);
  });

  it('incomplete releases the task for another pass; wait parks it with its condition, shown by show and status', () => {
    p = project();
    p.add('dep');
    p.add('t');
    p.seed([
      { id: 'dep', title: 'dep', status: 'open' },
      { id: 't', title: 't', status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 },
    ]);
    p.ok(['incomplete', 't', '--reason', 'two tests left'], asAgent('agent-1', 't', 1));
    expect(p.task('t')).toMatchObject({ status: 'incomplete', retry_count: 1, claim_epoch: 2 });
    p.ok(['claim', 't', '--actor', 'agent-2']);
    const w = p.ok(['wait', 't', '--until', 'task:dep', '--checkpoint', 'waiting for dep'], asAgent('agent-2', 't', 3));
    expect(w.stdout).toContain("Parked 't' until: task:dep=done");
    expect(w.stdout).toContain('exit now');
    expect(p.task('t')).toMatchObject({ status: 'waiting', checkpoint: 'waiting for dep', wait_condition: { mode: 'all', conditions: [{ type: 'task-status', task_id: 'dep', status: 'done' }] } });
    expect(p.task('t').assigned).toBeUndefined();
    expect(p.ok(['show', 't']).stdout).toMatch(/Waiting for +task:dep=done/);
    // The parked agent is fenced out.
    expect(p.run(['log', 't', 'still here'], asAgent('agent-2', 't', 3)).code).toBe(3);
    expect(p.run(['wait', 't', '--until', 'whenever']).code).toBe(2);
    p.ok(['add', 'Ask', '--id', 'ask']);
    p.ok(['claim', 'ask', '--actor', 'agent-3']);
    p.ok(['wait', 'ask', '--until', 'human-input'], asAgent('agent-3', 'ask', 1));
    expect(p.ok(['status']).stdout).toMatch(/ask: waiting for human-input\n {6}→ wg msg list ask; wg msg send ask/);
    // The service's wait step resumes t once dep is done (a foreground tick says so); ask still waits.
    p.ok(['done', 'dep']);
    const tick = p.ok(['service', 'tick', '--max-agents', '0']).stdout;
    expect(tick).toContain('resumed t (task:dep=done)');
    expect(tick).not.toContain('resumed ask');
    expect(p.task('t')).toMatchObject({ status: 'open', checkpoint: 'waiting for dep' });
    expect(p.task('ask').status).toBe('waiting');
  });
});

describe('wg next and agents that create work', () => {
  it('next shows the best task; next --claim under contention gives each claimant a different task', async () => {
    p = project();
    p.add('low', ['--priority', 'low']);
    p.add('hub');
    p.add('leaf', ['--after', 'hub']);
    p.add('solo');
    expect(p.ok(['next']).stdout).toMatch(/^Next: 'hub': Task hub\n {2}priority 10, unblocks 1 task\(s\)/);
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((who) => p!.wg(['next', '--claim', '--actor', who, '--json'])));
    const won = claims.filter((c) => c.code === 0).map((c) => c.json<{ task: { id: string } }>().task.id);
    expect(won.sort()).toEqual(['hub', 'low', 'solo']);
    expect(claims.filter((c) => c.code === 1)).toHaveLength(1);
    // The actor's own claimed task comes back (a restarted loop resumes its work). Which of
    // the four lost the race is chance: ask one that won.
    const winner = p.tasks().find((t) => t.assigned !== undefined)!;
    const mine = winner.id;
    expect(p.ok(['next', '--actor', winner.assigned!, '--json']).json<{ held: boolean; task: { id: string } }>()).toMatchObject({ held: true, task: { id: mine } });
  });

  it('a task an agent adds comes after its own (the Rust tool’s default); --independent; --subtask parks the agent’s task', () => {
    p = project();
    p.seed([{ id: 'main', title: 'main', status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 }]);
    const env = asAgent('agent-1', 'main', 1);
    p.ok(['add', 'Follow up', '--id', 'follow'], env);
    expect(p.task('follow').after).toEqual(['main']);
    p.ok(['add', 'Side quest', '--id', 'side', '--independent'], env);
    expect(p.task('side').after).toBeUndefined();
    p.ok(['add', 'Other side', '--id', 'side2', '--no-after'], env);
    expect(p.task('side2').after).toBeUndefined();
    const sub = p.ok(['add', 'Sub job', '--id', 'sub', '--subtask'], env);
    expect(sub.stdout).toContain("'main' now waits for 'sub'");
    expect(p.task('main')).toMatchObject({ status: 'waiting', claim_epoch: 2 });
    expect(p.task('sub').after).toBeUndefined();
    expect(p.run(['add', 'x', '--subtask']).code).toBe(2);
  });
});

describe('the agent guide', () => {
  it('teaches the loop, and every command it sends an agent to exists (the Rust tool’s prompts sent agents to commands that failed)', async () => {
    p = project();
    const guide = p.ok(['agent-guide']).stdout;
    for (const step of ['wg context', 'wg msg read', 'wg msg send', 'wg checkpoint', 'wg wait', '--until human-input', 'wg incomplete', 'wg fail', 'wg done', 'wg discover']) expect(guide).toContain(step);
    expect(guide).toMatch(/Report before finishing/);
    // Every `wg <command> [<subcommand>]` the guide names (prose words after "wg" left aside).
    const PROSE = new Set(['answers', 'then', 'runs', 'commits', 'again', 'with']);
    const named = new Set<string>();
    for (const m of guide.matchAll(/(?:^|[\s:;(/])wg ([a-z][a-z-]*)(?: (read|send|list|poll))?/gm)) if (!PROSE.has(m[1]!)) named.add(m[2] ? `${m[1]} ${m[2]}` : m[1]!);
    expect(named.size).toBeGreaterThanOrEqual(14);
    const results = await Promise.all([...named].map(async (c) => ({ c, r: await wgAsync(p!.dir, [...c.split(' '), '--help']) })));
    // (Commander answers `--help` of an unknown command with its parent's help: the usage line tells.)
    for (const { c, r } of results) expect(r.stdout, `wg ${c} --help`).toMatch(new RegExp(`^Usage: wg ${c} `));
  });
});
