/**
 * The real Claude Code and Codex CLIs run by `wg service start` (not by hand): the service's
 * own spawn, wrapper, exit handling and accounting, against the loopback mock APIs. An agent
 * that ends its session without `wg done` / `wg fail` fails its task (issue 9 point 3); an API
 * error fails it with the CLI's own words (point 5); usage and session id land on the task
 * (point 4). Times are printed for docs/benchmarks.md.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SILENT_EXIT_REASON } from '../../src/core/plans/agent-death.js';
import { cliPath, codexConfigToml, IS_ROOT, SYSTEM_PATH, type CliName } from '../helpers/agent-cli.js';
import { startAnthropicMock, type ClaudeTurn } from '../helpers/mock-anthropic.js';
import { startOpenAiMock, type CodexTurn } from '../helpers/mock-openai.js';
import { waitFor } from '../helpers/proc.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';

interface Rig {
  p: ServiceProject;
  /** Starts the service with the CLI's recipe in its environment (agents inherit it). */
  start(): number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(cli: CliName, turns: ClaudeTurn[] | CodexTurn[], dispatcher: Record<string, string | number | boolean> = {}, extraEnv: Record<string, string | undefined> = {}): Promise<Rig> {
  const mock = cli === 'claude' ? await startAnthropicMock(turns as ClaudeTurn[]) : await startOpenAiMock(turns as CodexTurn[]);
  cleanups.push(() => mock.close());
  // The home goes after the project's cleanup has stopped the service and its agents (cleanups
  // run in reverse): a CLI still writing in it made the rmdir fail (ENOTEMPTY).
  const home = mkdtempSync(join(tmpdir(), `wg-${cli}-svc-home-`));
  cleanups.push(() => rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
  const p = serviceProject({ dispatcher: { executor: cli, ...dispatcher } });
  cleanups.push(() => p.cleanup());
  mkdirSync(join(home, 'tmp'));
  const cliDir = join(p.dir, '.clibin');
  mkdirSync(cliDir);
  symlinkSync(cliPath(cli), join(cliDir, cli));
  const env: Record<string, string | undefined> = { PATH: `${cliDir}:${SYSTEM_PATH}`, HOME: home, TMPDIR: join(home, 'tmp'), LANG: 'C.UTF-8', CLAUDECODE: undefined, CLAUDE_CODE_ENTRYPOINT: undefined, ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined };
  if (cli === 'claude') {
    Object.assign(env, { ANTHROPIC_BASE_URL: mock.origin, ANTHROPIC_API_KEY: 'sk-ant-mock-key', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', CLAUDE_CODE_MAX_RETRIES: '1', ...(IS_ROOT ? { IS_SANDBOX: '1' } : {}) });
  } else {
    const codexHome = join(home, '.codex');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), codexConfigToml(mock.origin));
    Object.assign(env, { CODEX_HOME: codexHome, MOCK_OPENAI_API_KEY: 'sk-mock-key' });
  }
  Object.assign(env, extraEnv);
  return {
    p,
    start() {
      const r = p.run(['service', 'start', '--json'], env);
      if (r.code !== 0) throw new Error(`service start: ${r.stderr}`);
      const pid = r.json<{ pid: number }>().pid;
      p.daemonPids.add(pid);
      return pid;
    },
  };
}

const spawnedAt = (p: ServiceProject, task: string): number => Date.parse(String(p.events('agent:spawned').find((e) => e.task === task)?.time));
const ms = (iso: unknown): number => Date.parse(String(iso));

describe('the real CLIs run by the service', () => {
  it('claude: an agent that answers without calling wg fails its task, "agent exited without reporting"', async () => {
    const { p, start } = await rig('claude', [{ text: 'I could not finish the task.' }]);
    p.ok(['add', 'Fix the thing', '--id', 'fix']);
    start();
    const t = await p.waitStatus('fix', ['failed', 'done'], 90_000);
    expect(t).toMatchObject({ status: 'failed', failure_reason: SILENT_EXIT_REASON, failure_class: 'agent-exit-nonzero' });
    expect(t.token_usage).toMatchObject({ input_tokens: 120, output_tokens: 30 });
    expect(typeof t.session_id).toBe('string');
    await waitFor('the registry records the exit', () => p.agentsOf('fix')[0]?.status === 'failed');
    expect(p.agentsOf('fix')[0]).toMatchObject({ status: 'failed', exit_code: 0 });
    console.log(`[real-agents] claude silent exit → failed: ${ms(t.completed_at) - spawnedAt(p, 'fix')} ms from spawn`);
  }, 120_000);

  it('claude: the API answers 529 — the task fails with Claude Code own words and the 5xx class', async () => {
    const { p, start } = await rig('claude', [{ error: 529 }]);
    p.ok(['add', 'Fix the thing', '--id', 'fix']);
    start();
    const t = await p.waitStatus('fix', ['failed', 'done'], 90_000);
    const a = p.agentsOf('fix')[0]!;
    expect(t.status).toBe('failed');
    expect(t.failure_reason).toMatch(new RegExp(`^agent ${a.id} exited with code 1: API Error: 529 Overloaded`));
    expect(t.failure_class).toBe('api-error5xx-transient');
    console.log(`[real-agents] claude API 529 (1 retry) → failed: ${ms(t.completed_at) - spawnedAt(p, 'fix')} ms from spawn`);
  }, 120_000);

  it('claude: wg done through Bash completes the task; usage and session recorded; time from wg done to the next spawn', async () => {
    // kill_grace long enough for the session to end on its own after its wg done.
    const { p, start } = await rig('claude', [{ bash: 'wg done $WG_TASK_ID' }, { text: 'Done.' }], { kill_grace: '30s' });
    p.ok(['add', 'First', '--id', 'a']);
    p.ok(['add', 'Second', '--id', 'b', '--after', 'a']);
    start();
    const b = await p.waitStatus('b', ['done', 'failed'], 120_000);
    const a = p.task('a');
    expect([a.status, b.status]).toEqual(['done', 'done']);
    expect(a.token_usage).toMatchObject({ input_tokens: 240, output_tokens: 60 });
    expect(typeof (a.token_usage as { cost_usd?: unknown }).cost_usd).toBe('number');
    expect(a.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const doneAt = ms((a.log as Array<{ message: string; timestamp: string }>).find((l) => l.message === 'Task marked as done')!.timestamp);
    const gap = ms(b.started_at) - doneAt;
    console.log(`[real-agents] claude: wg done of a → b claimed for its agent: ${gap} ms; b spawned ${spawnedAt(p, 'b') - doneAt} ms after`);
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(15_000);
  }, 180_000);

  it(IS_ROOT ? 'claude as root without IS_SANDBOX: the refusal is the failure reason, and wg service status names it with the fix' : 'claude as a non-root user: no refusal', async () => {
    const { p, start } = await rig('claude', [{ bash: 'wg done $WG_TASK_ID' }, { text: 'Done.' }], {}, { IS_SANDBOX: undefined });
    p.ok(['add', 'Fix the thing', '--id', 'fix']);
    start();
    const t = await p.waitStatus('fix', ['failed', 'done'], 90_000);
    if (!IS_ROOT) {
      expect(t.status).toBe('done');
      return;
    }
    expect(t.status).toBe('failed');
    expect(t.failure_reason).toMatch(/exited with code 1: claude refused to run as root \("--dangerously-skip-permissions cannot be used with root\/sudo privileges for security reasons"\): run the service as a non-root user, or set IS_SANDBOX=1/);
    await waitFor('the registry records the exit', () => p.agentsOf('fix')[0]?.status === 'failed');
    const st = p.ok(['service', 'status']).stdout;
    expect(st).toContain('Agents cannot start: claude refuses --permission-mode bypassPermissions as root (1 recent agent(s) failed: agent-1)');
    expect(st).toContain('fix: run the service as a non-root user, or set IS_SANDBOX=1');
    expect(p.statusJson()).toMatchObject({ agent_problems: [{ kind: 'root-refusal', agents: ['agent-1'] }] });
  }, 120_000);

  it('codex: an agent that answers without running wg fails its task', async () => {
    const { p, start } = await rig('codex', [{ text: 'I could not finish the task.' }]);
    p.ok(['add', 'Fix the thing', '--id', 'fix']);
    start();
    const t = await p.waitStatus('fix', ['failed', 'done'], 90_000);
    expect(t).toMatchObject({ status: 'failed', failure_reason: SILENT_EXIT_REASON });
    expect(typeof t.session_id).toBe('string');
    console.log(`[real-agents] codex silent exit → failed: ${ms(t.completed_at) - spawnedAt(p, 'fix')} ms from spawn`);
  }, 120_000);
});
