/**
 * Running the REAL agent CLIs (the pinned devDependencies @anthropic-ai/claude-code and
 * @openai/codex) against the loopback mock model APIs, the way the wg service runs them: wg's
 * own argv from launchSpec (unchanged), the prompt on stdin, its own process group, the `wg`
 * shim first on PATH and the WG_* fencing variables set.
 *
 * The env/config recipes (docs/service.md "Running the real CLIs against a local API"):
 * - both: an environment built from scratch (nothing leaks from the host: no real API key, no
 *   parent Claude Code session), an empty temp HOME;
 * - claude: ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
 *   (no telemetry, error reporting or update check: nothing resolves api.anthropic.com), and
 *   IS_SANDBOX=1 when the tests run as root (Claude Code refuses bypassPermissions as root);
 * - codex: CODEX_HOME (an existing dir) holding a config.toml that selects a custom Responses
 *   provider on the mock (`env_key` names the variable with the key), turns the plugin sync
 *   off (`[features] plugins = false`: it fetches from github.com), the update check and
 *   analytics off, and the provider's retries down to `retries` so error paths stay fast.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { launchSpec, type LaunchSpec } from '../../src/agents/executors/index.js';
import { buildPrompt } from '../../src/service/prompt.js';
import { loadSettings } from '../../src/settings.js';
import { JsonlStore } from '../../src/store/store.js';
import { pathsFor } from '../../src/store/paths.js';
import { safeKill } from './proc.js';
import { projectAsync, type Project } from './project.js';
import { WG_BIN } from './wg.js';

const REPO = resolve(__dirname, '../..');
export const CLI_VERSIONS = { claude: '2.1.332', codex: '0.171.0' } as const;
export type CliName = keyof typeof CLI_VERSIONS;

/**
 * The installed CLI's entry in node_modules/.bin. Throws (never skips) when it is missing, so
 * a broken install fails the suite loudly.
 */
export function cliPath(name: CliName): string {
  const bin = join(REPO, 'node_modules', '.bin', name);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: the real ${name} CLI is a pinned devDependency — run 'npm ci'`);
  const real = realpathSync(bin);
  // The native binaries come from the platform packages (optionalDependencies); claude's
  // postinstall copies its binary over bin/claude.exe, which is a small stub until then.
  if (name === 'claude') {
    const size = statSync(real).size;
    if (size < 1_000_000) throw new Error(`${real} is the ${size}-byte placeholder: claude's postinstall did not run (npm ci with scripts allowed, see allowScripts in package.json)`);
  }
  return bin;
}

/** node + system dirs, without anything the host installed as claude/codex. */
export const SYSTEM_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
export const IS_ROOT = process.getuid?.() === 0;

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, as the service's output.log holds them. */
  output: string;
  ms: number;
  timedOut: boolean;
}

export interface AgentSandbox {
  project: Project;
  taskId: string;
  agentId: string;
  epoch: number;
  /** `.wg/service/bin`, holding the `wg` shim (first on the agent's PATH). */
  shimDir: string;
  /** The temp HOME (and, for codex, CODEX_HOME under it). */
  home: string;
  /** wg's launch spec for the task (its argv is used unchanged). */
  spec: LaunchSpec;
  prompt: string;
  /** The agent's environment, as the service builds it plus the CLI recipe. */
  env: Record<string, string>;
  /** Runs wg's argv with the prompt on stdin (or another argv/stdin, e.g. the evaluator's). */
  run(opts?: { timeoutMs?: number; argv?: string[]; stdin?: string }): Promise<AgentRun>;
  cleanup(): void;
}

/** The shim the service writes (daemon.ts writeShim): `wg` = this node running dist/wg.mjs. */
function writeShim(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'wg'), `#!/bin/sh\nexec "${process.execPath}" "${WG_BIN}" "$@"\n`, { mode: 0o755 });
}

export function codexConfigToml(origin: string, opts: { model?: string; retries?: number } = {}): string {
  return [
    // gpt-5.5 is in codex 0.171's bundled catalogue with plain function tools (exec_command);
    // the newest models use a JavaScript "code mode" tool instead, and an unknown slug makes
    // codex print a "model metadata not found" warning item into the JSON stream.
    `model = ${JSON.stringify(opts.model ?? 'gpt-5.5')}`,
    'model_provider = "mock"',
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    '',
    '[model_providers.mock]',
    'name = "Mock Responses API"',
    `base_url = "${origin}/v1"`,
    'env_key = "MOCK_OPENAI_API_KEY"',
    'wire_api = "responses"',
    `request_max_retries = ${opts.retries ?? 0}`,
    `stream_max_retries = ${opts.retries ?? 0}`,
    '',
  ].join('\n');
}

export interface SandboxOptions {
  cli: CliName;
  /** The mock API's origin (`http://127.0.0.1:PORT`). */
  origin: string;
  apiKey?: string;
  /** A model for the task (`wg add --model`), passed through wg's argv as `--model`. */
  model?: string;
  /** Codex provider retries (default 0); claude's CLAUDE_CODE_MAX_RETRIES (default unset). */
  retries?: number;
  /** Extra environment for the agent (e.g. to drop IS_SANDBOX and see the refusal). */
  env?: Record<string, string | undefined>;
  title?: string;
}

/** A temp wg project with one task claimed for agent-1, and the real CLI ready to run on it. */
export async function agentSandbox(opts: SandboxOptions): Promise<AgentSandbox> {
  const cli = cliPath(opts.cli);
  const project = await projectAsync();
  const cleanups: Array<() => void> = [() => project.cleanup()];
  const pgids = new Set<number>();
  try {
    const taskId = 'fix-the-thing';
    const add = await project.wg(['add', opts.title ?? 'Fix the thing', '--id', taskId, ...(opts.model ? ['--model', opts.model] : [])]);
    if (add.code !== 0) throw new Error(`wg add failed: ${add.stderr}`);
    const agentId = 'agent-1';
    const claim = await project.wg(['claim', taskId, '--actor', agentId]);
    if (claim.code !== 0) throw new Error(`wg claim failed: ${claim.stderr}`);
    const paths = pathsFor(project.wgDir);
    const graph = new JsonlStore(paths).load().graph;
    const task = graph.get(taskId)!;
    const epoch = task.claim_epoch ?? 0;
    const shimDir = join(paths.serviceDir, 'bin');
    writeShim(shimDir);
    const cliDir = join(project.dir, '.clibin');
    mkdirSync(cliDir);
    symlinkSync(cli, join(cliDir, opts.cli));
    const home = mkdtempSync(join(tmpdir(), `wg-${opts.cli}-home-`));
    cleanups.push(() => rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
    mkdirSync(join(home, 'tmp'));
    const agentDir = join(paths.agentsDir, agentId);
    mkdirSync(agentDir, { recursive: true });
    const promptFile = join(agentDir, 'prompt.txt');
    const prompt = buildPrompt(graph, task, agentId);
    writeFileSync(promptFile, prompt);
    const settings = loadSettings(paths.config);
    const spec = launchSpec(task, settings.executors, { promptFile, model: task.model, executor: opts.cli });
    if ('missing' in spec) throw new Error(spec.missing);

    const env: Record<string, string> = {
      HOME: home,
      USER: 'tester',
      LANG: 'C.UTF-8',
      // Claude Code keeps background-task output under $TMPDIR/claude-<uid>: inside HOME, it
      // goes away with the sandbox.
      TMPDIR: join(home, 'tmp'),
      ...spec.env,
      // What the service sets (daemon.ts spawnAgent): the shim first on PATH, the fencing vars.
      PATH: `${shimDir}:${cliDir}:${SYSTEM_PATH}`,
      WG_DIR: paths.dir,
      WG_TASK_ID: taskId,
      WG_AGENT_ID: agentId,
      WG_CLAIM_EPOCH: String(epoch),
      WG_EXECUTOR: opts.cli,
      ...(task.model ? { WG_MODEL: task.model } : {}),
    };
    if (opts.cli === 'claude') {
      Object.assign(env, {
        ANTHROPIC_BASE_URL: opts.origin,
        ANTHROPIC_API_KEY: opts.apiKey ?? 'sk-ant-mock-key',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        ...(opts.retries !== undefined ? { CLAUDE_CODE_MAX_RETRIES: String(opts.retries) } : {}),
        ...(IS_ROOT ? { IS_SANDBOX: '1' } : {}),
      });
    } else {
      const codexHome = join(home, '.codex');
      mkdirSync(codexHome);
      writeFileSync(join(codexHome, 'config.toml'), codexConfigToml(opts.origin, { retries: opts.retries ?? 0 }));
      Object.assign(env, { CODEX_HOME: codexHome, MOCK_OPENAI_API_KEY: opts.apiKey ?? 'sk-mock-key' });
    }
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }

    const run = ({ timeoutMs = 60_000, argv = spec.argv, stdin }: { timeoutMs?: number; argv?: string[]; stdin?: string } = {}): Promise<AgentRun> =>
      new Promise((resolveRun, reject) => {
        const t0 = performance.now();
        const child = spawn(argv[0]!, argv.slice(1), { cwd: project.dir, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
        if (child.pid) pgids.add(child.pid);
        let stdout = '';
        let stderr = '';
        let output = '';
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          if (child.pid) safeKill(-child.pid, 'SIGKILL');
        }, timeoutMs);
        child.stdout!.on('data', (d: Buffer) => {
          stdout += d.toString();
          output += d.toString();
        });
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          output += d.toString();
        });
        child.stdin!.on('error', () => undefined);
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          // Anything the CLI left in its group (a tool's child) goes with it.
          if (child.pid) safeKill(-child.pid, 'SIGKILL');
          resolveRun({ code, signal, stdout, stderr, output, ms: Math.round(performance.now() - t0), timedOut });
        });
        child.stdin!.end(stdin ?? (spec.promptOnStdin ? prompt : ''));
      });

    return {
      project,
      taskId,
      agentId,
      epoch,
      shimDir,
      home,
      spec,
      prompt,
      env,
      run,
      cleanup() {
        for (const g of pgids) safeKill(-g, 'SIGKILL');
        for (const c of cleanups.reverse()) c();
      },
    };
  } catch (e) {
    for (const c of cleanups.reverse()) c();
    throw e;
  }
}

/** The task as `wg show --json` prints it. */
export async function showTask(sb: AgentSandbox): Promise<Record<string, unknown> & { status: string; log?: Array<{ message: string; actor?: string }> }> {
  const r = await sb.project.wg(['show', sb.taskId, '--json']);
  if (r.code !== 0) throw new Error(`wg show failed: ${r.stderr}`);
  return r.json();
}
