/**
 * Exit codes and error rendering (SPEC §6): 0 ok, 1 refused, 2 usage, 3 claim lost. Every error
 * is one `error: …` line on stderr (plus at most one `hint: …`), never a stack trace; with
 * --json it is {"error":{"code","message"}} on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Project, tempDirsPerTest } from '../helpers/project.js';
import { graphTasks, operations, seedGraph } from '../helpers/files.js';
import { cleanEnv, isOneLineError, WG_BIN, type WgResult } from '../helpers/wg.js';

const tmp = tempDirsPerTest();
afterEach((ctx) => tmp.cleanup(ctx));

interface JsonError {
  error: { code: string; message: string; hint?: string };
}

/** Runs `args` twice (human, --json) and checks both renderings of the same error. */
async function expectError(q: Project, args: string[], code: number, errCode: string, message: RegExp, env?: Record<string, string>): Promise<WgResult> {
  const [human, json] = await Promise.all([q.wg(args, env), q.wg([...args, '--json'], env)]);
  expect(human.code, `${args.join(' ')}: ${human.stderr}`).toBe(code);
  expect(human.stdout).toBe('');
  expect(isOneLineError(human.stderr), human.stderr).toBe(true);
  expect(human.stderr.split('\n')[0]).toMatch(message);
  expect(json.code).toBe(code);
  expect(json.stderr).toBe('');
  const body = json.json<JsonError>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(errCode);
  expect(`error: ${body.error.message}`).toMatch(message);
  return human;
}

const base = [
  { id: 'a', title: 'A' },
  { id: 'f', title: 'F', status: 'failed', failure_reason: 'boom' },
  { id: 'x', title: 'X', status: 'abandoned' },
  { id: 'b', title: 'B', after: ['a'] },
];

describe.concurrent('exit code 2: usage errors', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown flag', ['add', 'T', '--bogus'], /^error: unknown option '--bogus'/],
    ['unknown global flag', ['--bogus'], /^error: unknown option '--bogus'/],
    ['unknown command', ['frobnicate'], /^error: unknown command 'frobnicate'/],
    ['missing argument', ['show'], /^error: missing required argument 'id'/],
    ['bad --priority', ['add', 'T', '--priority', 'urgent'], /^error: invalid priority 'urgent'/],
    ['negative --priority', ['add', 'T', '-p', '-3'], /^error: /],
    ['bad duration', ['add', 'T', '--timeout', '5 minutes'], /^error: invalid duration for --timeout: '5 minutes'/],
    ['bad duration unit', ['edit', 'a', '--timeout', '3w'], /^error: invalid duration for --timeout: '3w'/],
    ['timestamp without offset', ['add', 'T', '--not-before', '2030-01-01T00:00:00'], /^error: invalid timestamp for --not-before: '2030-01-01T00:00:00'/],
    ['bad --max-retries', ['add', 'T', '--max-retries', 'many'], /^error: invalid value for --max-retries: 'many'/],
    ['id with a path', ['add', 'T', '--id', '../x'], /^error: invalid task id '\.\.\/x'/],
    ['id with a space', ['add', 'T', '--id', 'A B'], /^error: invalid task id 'A B'/],
    ['unknown failure class', ['fail', 'a', '--class', 'gremlins'], /^error: unknown failure class 'gremlins'/],
    ['unknown status filter', ['list', '--status', 'nearly-done'], /^error: unknown status 'nearly-done'/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async (ctx) => {
      const q = await tmp.project(ctx);
      const bytes = seedGraph(q.graphPath, base);
      await expectError(q, args, 2, 'invalid_argument', message);
      expect(q.readGraph()).toBe(bytes);
      expect(operations(q.wgDir)).toEqual([]);
    });
  }

  it('an invalid WG_CLAIM_EPOCH is a usage error', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, base);
    await expectError(q, ['log', 'a', 'hi'], 2, 'invalid_argument', /^error: invalid WG_CLAIM_EPOCH 'seven'/, { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 'a', WG_CLAIM_EPOCH: 'seven' });
  });
});

describe.concurrent('exit code 1: refused', () => {
  it('not found, with a suggestion', async (ctx) => {
    const q = await tmp.project(ctx);
    seedGraph(q.graphPath, [{ id: 'deploy-api', title: 'Deploy' }]);
    const r = await expectError(q, ['show', 'deploy-ap'], 1, 'not_found', /^error: task 'deploy-ap' not found$/);
    expect(r.stderr).toBe("error: task 'deploy-ap' not found\nhint: did you mean 'deploy-api'?\n");
    await expectError(q, ['done', 'nope'], 1, 'not_found', /^error: task 'nope' not found/);
  });

  it('illegal transitions name the status and the command that helps', async (ctx) => {
    const q = await tmp.project(ctx);
    const bytes = seedGraph(q.graphPath, base);
    await expectError(q, ['done', 'f'], 1, 'invalid_transition', /^error: task 'f' is failed .*'wg retry f'/);
    await expectError(q, ['done', 'x'], 1, 'invalid_transition', /^error: task 'x' is abandoned/);
    await expectError(q, ['claim', 'f'], 1, 'invalid_transition', /^error: task 'f' is failed/);
    await expectError(q, ['claim', 'b'], 1, 'not_ready', /^error: task 'b' is not ready: .*\ba\b/);
    await expectError(q, ['add', 'Again', '--id', 'a'], 1, 'already_exists', /^error: task 'a' already exists/);
    expect(q.readGraph()).toBe(bytes);
    expect(operations(q.wgDir)).toEqual([]);
  });

  it('an unexpected I/O failure is one line, not a stack trace', async (ctx) => {
    const q = await tmp.project(ctx);
    rmSync(q.graphPath);
    mkdirSync(q.graphPath); // graph.jsonl is a directory: EISDIR on read
    const r = await q.wg(['list']);
    expect(r.code).toBe(1);
    expect(isOneLineError(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).not.toMatch(/\bat .*\.m?js:\d+/);
  });

  it('a reader that closes the pipe early (wg list | head -1) gets no stack trace', async (ctx) => {
    const q = await tmp.project(ctx);
    const big = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ kind: 'task', id: `t${i}`, title: 'x'.repeat(80), status: 'open', priority: 10 }));
    writeFileSync(q.graphPath, big.join('\n') + '\n');
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [WG_BIN, 'list'], { cwd: q.dir, env: cleanEnv() });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe.concurrent('exit code 3: claim lost (fencing)', () => {
  // t is now held by agent-2 at epoch 3; agent-1 (epoch 1) is a zombie.
  const seeded = [
    { id: 't', title: 'T', status: 'in-progress', assigned: 'agent-2', claim_epoch: 3 },
    { id: 'mine', title: 'Mine', status: 'in-progress', assigned: 'agent-1', claim_epoch: 2 },
  ];
  const zombie = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 't', WG_CLAIM_EPOCH: '1' };
  const stale = { WG_AGENT_ID: 'agent-1', WG_TASK_ID: 'mine', WG_CLAIM_EPOCH: '1' };

  for (const args of [['done', 't'], ['fail', 't', '--reason', 'x'], ['log', 't', 'still here'], ['artifact', 't', 'out.txt']]) {
    it(`${args[0]} by an agent that lost the claim changes nothing`, async (ctx) => {
      const q = await tmp.project(ctx);
      const bytes = seedGraph(q.graphPath, seeded);
      await expectError(q, args, 3, 'claim_lost', /^error: claim lost: task 't' is now held by agent-2 \(epoch 3\)$/, zombie);
      expect(q.readGraph()).toBe(bytes);
      expect(operations(q.wgDir)).toEqual([]);
    });
  }

  it('same agent, stale epoch: exit 3; the current epoch succeeds', async (ctx) => {
    const q = await tmp.project(ctx);
    const bytes = seedGraph(q.graphPath, seeded);
    await expectError(q, ['done', 'mine'], 3, 'claim_lost', /^error: claim lost: task 'mine' is now held by agent-1 \(epoch 2\)$/, stale);
    expect(q.readGraph()).toBe(bytes);
    const okRun = await q.wg(['log', 'mine', 'progress'], { ...stale, WG_CLAIM_EPOCH: '2' });
    expect(okRun.code, okRun.stderr).toBe(0);
    const done = await q.wg(['done', 'mine'], { ...stale, WG_CLAIM_EPOCH: '2' });
    expect(done.code, done.stderr).toBe(0);
    expect(graphTasks(q.readGraph()).find((t) => t.id === 'mine')!.status).toBe('done');
  });
});
