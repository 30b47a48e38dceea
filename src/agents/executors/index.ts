/**
 * Executors (SPEC §4): how a task becomes a process. Built-ins: `shell` (the task's `exec`
 * under bash), `claude` (Claude Code CLI, print mode, stream-json, prompt on stdin), `codex`
 * (Codex CLI exec --json, prompt on stdin). Custom ones come from `[executors.NAME]` with
 * `{prompt_file}`, `{task_id}`, `{model}` placeholders.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ExecutorSettings } from '../../settings.js';
import type { Task } from '../../core/task.js';

export interface LaunchSpec {
  executor: string;
  argv: string[];
  /** Feed prompt.txt on stdin. */
  promptOnStdin: boolean;
  env: Record<string, string>;
  /** The output is Claude/Codex JSON lines (session id and token usage are read from it). */
  streamJson: boolean;
}

export const BUILTIN_EXECUTORS = ['shell', 'claude', 'codex'] as const;

/**
 * The executors whose agents report their own outcome (`wg done` / `wg fail`): the LLM CLIs.
 * Their CLI exits 0 whenever the session ends, so an exit says nothing about the task; a task
 * still held when such an agent exits has failed (core/plans/agent-death.ts). The shell
 * executor and custom executors keep exit-code semantics (exit 0 → done).
 */
export const REPORTING_EXECUTORS: readonly string[] = ['claude', 'codex'];
export const mustReport = (executor: string): boolean => REPORTING_EXECUTORS.includes(executor);

/** Which executor runs this task: `exec` → shell, then `exec_mode`, then the default (settings.dispatcher.executor). */
export function executorName(task: Task, defaultExecutor: string): string {
  if (task.exec) return 'shell';
  if (task.exec_mode && task.exec_mode !== 'full' && task.exec_mode !== 'light' && task.exec_mode !== 'bare') return task.exec_mode;
  return defaultExecutor;
}

/** Strip the provider prefix the CLI does not understand (`claude:opus` → `opus`). */
export function modelForCli(model: string | undefined, prefixes: string[]): string | undefined {
  if (!model) return undefined;
  for (const p of prefixes) if (model.startsWith(`${p}:`)) return model.slice(p.length + 1);
  return model;
}

export function launchSpec(task: Task, executors: ExecutorSettings, opts: { promptFile: string; model: string | undefined; executor: string }): LaunchSpec | { missing: string } {
  const { executor, model, promptFile } = opts;
  switch (executor) {
    case 'shell':
      if (!task.exec) return { missing: `task '${task.id}' has no exec command for the shell executor (wg edit ${task.id} --exec CMD)` };
      return { executor, argv: ['bash', '-c', task.exec], promptOnStdin: false, env: {}, streamJson: false };
    case 'claude': {
      const m = modelForCli(model, ['claude', 'anthropic']);
      return {
        executor,
        argv: ['claude', '--print', '--verbose', '--output-format', 'stream-json', '--permission-mode', 'bypassPermissions', ...(m ? ['--model', m] : [])],
        promptOnStdin: true,
        env: {},
        streamJson: true,
      };
    }
    case 'codex': {
      const m = modelForCli(model, ['codex', 'openai']);
      return {
        executor,
        argv: ['codex', 'exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-c', 'allow_login_shell=false', ...(m ? ['--model', m] : []), '-'],
        promptOnStdin: true,
        env: {},
        streamJson: true,
      };
    }
    default: {
      // Own keys only: `executor = "toString"` is an unconfigured executor, not Object.prototype's.
      const custom = Object.hasOwn(executors, executor) ? executors[executor] : undefined;
      if (!custom) return { missing: `executor '${executor}' is not configured (add [executors.${executor}] to config.toml, or use shell, claude, codex)` };
      const fill = (s: string): string => s.replaceAll('{prompt_file}', promptFile).replaceAll('{task_id}', task.id).replaceAll('{model}', model ?? '');
      const usesFile = custom.command.some((a) => a.includes('{prompt_file}'));
      return { executor, argv: custom.command.map(fill), promptOnStdin: custom.prompt_on_stdin ?? !usesFile, env: custom.env ?? {}, streamJson: false };
    }
  }
}

/** Is `command` runnable (absolute/relative path, or found on PATH)? */
export function findExecutable(command: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(command) || command.includes('/') ? [command] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Can `task` run here, and with which executor? The dispatcher's executor-missing wait, used by
 * the service and by `wg service status` alike. `found` caches PATH searches (one per command
 * per decision, not one per ready task).
 */
export function runnableExecutor(task: Task, executors: ExecutorSettings, opts: { defaultExecutor: string; path: string; found?: Map<string, boolean> }): { executor: string; missing?: string } {
  const executor = executorName(task, opts.defaultExecutor);
  const spec = launchSpec(task, executors, { promptFile: '', model: undefined, executor });
  if ('missing' in spec) return { executor, missing: spec.missing };
  const cmd = spec.argv[0]!;
  let ok = opts.found?.get(cmd);
  if (ok === undefined) {
    ok = !!findExecutable(cmd, opts.path);
    opts.found?.set(cmd, ok);
  }
  return ok ? { executor } : { executor, missing: `'${cmd}' is not on PATH` };
}
