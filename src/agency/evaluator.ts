/**
 * The evaluator process (`wg evaluate run`): by default the Claude CLI in print mode with JSON
 * output (`claude --print --output-format json --model haiku`, the rubric prompt on stdin), or
 * the command configured as `[agency] evaluator = [...]` (prompt on stdin, `{task_id}` and
 * `{model}` placeholders, prints the evaluation JSON). It runs in its own process group and is
 * killed as a group on timeout.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { AgencySettings } from '../settings.js';
import { modelForCli } from '../agents/executors/index.js';

export const DEFAULT_EVALUATOR_MODEL = 'claude:haiku';
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface EvaluatorSpec {
  /** Short name recorded as the evaluation's `evaluator`. */
  name: string;
  argv: string[];
  model: string | undefined;
  timeoutMs: number;
}

export function evaluatorSpec(a: AgencySettings, taskId: string): EvaluatorSpec {
  const timeoutMs = a.evaluatorTimeoutMs;
  if (a.evaluator) {
    const model = a.evaluatorModel;
    const argv = a.evaluator.map((s) => s.replaceAll('{task_id}', taskId).replaceAll('{model}', model ?? ''));
    return { name: basename(argv[0]!), argv, model, timeoutMs };
  }
  const model = a.evaluatorModel ?? DEFAULT_EVALUATOR_MODEL;
  const m = modelForCli(model, ['claude', 'anthropic']);
  return { name: 'claude', argv: ['claude', '--print', '--output-format', 'json', ...(m ? ['--model', m] : [])], model, timeoutMs };
}

export interface EvaluatorRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class EvaluatorMissing extends Error {}

export function runEvaluator(spec: EvaluatorSpec, prompt: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<EvaluatorRun> {
  return new Promise((resolve, reject) => {
    const env = { ...opts.env };
    // A nested Claude Code session refuses to start when these leak in from a parent session.
    delete env.CLAUDECODE;
    delete env.CLAUDE_CODE_ENTRYPOINT;
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), { cwd: opts.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, spec.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    child.stdin.on('error', () => undefined); // an evaluator that does not read stdin
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new EvaluatorMissing(`evaluator '${spec.argv[0]}' is not on PATH`) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(prompt);
  });
}
