/**
 * `wg config show` — the resolved settings and where each came from; `wg config lint` — what
 * wg does with every key of config.toml (its own, mapped from the Rust tool's, ignored), and
 * whether the Rust tool can load the file. docs/configuration.md.
 */
import type { Command } from 'commander';
import { rustLoadsConfig } from '../../compat/rust-config-rules.js';
import { readConfigFile, type ConfigReport } from '../../config.js';
import { resolveSettings, type Settings } from '../../settings.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';

/** Every setting wg resolves, in wg's terms, with the config key that sets it. */
function settingRows(s: Settings): Array<[key: string, value: string]> {
  const d = s.dispatcher;
  const a = s.agency;
  const dur = (ms: number): string => (ms % 60_000 === 0 && ms ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return [
    ['dispatcher.max_agents', String(d.maxAgents)],
    ['dispatcher.poll_interval', dur(d.pollIntervalMs)],
    ['dispatcher.executor', d.executor],
    ['dispatcher.model', d.model ?? '(executor default)'],
    ['dispatcher.agent_timeout', d.agentTimeoutMs ? dur(d.agentTimeoutMs) : 'none'],
    ['dispatcher.heartbeat_timeout', dur(d.heartbeatTimeoutMs)],
    ['dispatcher.kill_grace', dur(d.killGraceMs)],
    ['dispatcher.retry_debounce', dur(d.retryDebounceMs)],
    ['dispatcher.settling_delay', dur(d.settlingDelayMs)],
    ['dispatcher.max_retries', String(d.maxRetries)],
    ['dispatcher.paused', String(d.paused)],
    ['agency.auto_evaluate', String(a.autoEvaluate)],
    ['agency.eval_gate_threshold', String(a.evalGateThreshold)],
    ['agency.max_eval_rescues', String(a.maxEvalRescues)],
    ['agency.evaluator', a.evaluator ? JSON.stringify(a.evaluator) : '(claude --print)'],
    ['agency.evaluator_model', a.evaluatorModel ?? '(evaluator default)'],
    ['agency.evaluator_timeout', dur(a.evaluatorTimeoutMs)],
    ...Object.keys(s.executors).map((name): [string, string] => [`executors.${name}`, JSON.stringify(s.executors[name]!.command)]),
  ];
}

const LINT_USE: Record<string, string> = { wg: 'used', mapped: 'mapped', ignored: 'ignored by wg (a key of the Rust tool)', obsolete: 'ignored (obsolete in the Rust tool too)' };

export function register(program: Command): void {
  const config = program.command('config').description('the configuration: resolved settings (show) and what wg does with each key of config.toml (lint)');

  config
    .command('show')
    .description('the resolved settings and where each came from (config.toml line, a mapped key of the Rust tool, or the default)')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const { config: c, report } = readConfigFile(ctx.paths.config);
      const rows = settingRows(resolveSettings(c)).map(([key, value]) => ({ key, value, source: report.sources[key.startsWith('executors.') ? 'executors' : key] ?? 'default' }));
      ctx.out({ file: ctx.paths.config, settings: rows }, () => [`# ${ctx.paths.config}`, ...table(rows.map((r) => [r.key, r.value, r.source]), { header: ['SETTING', 'VALUE', 'FROM'] })]);
    });

  config
    .command('lint')
    .description('every key of config.toml: used, mapped from the Rust tool, or ignored by wg; and whether the Rust tool can load the file')
    .action((_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const { report, text } = readConfigFile(ctx.paths.config);
      const rust = rustLoadsConfig(text);
      const rustProblems = rust.errors.map((e) => e.message);
      // A file the Rust tool cannot load still works in wg (a warning, not a failure): the Rust
      // tool would run with its defaults. A file wg cannot load fails above (exit 1).
      ctx.out({ file: report.file, keys: report.keys, notes: report.notes, rust_loadable: rust.ok, rust_problems: rustProblems }, () => lintText(report, rustProblems));
    });
}

function lintText(report: ConfigReport, rustProblems: string[]): string[] {
  const lines = [`# ${report.file}`];
  for (const use of ['mapped', 'ignored', 'obsolete'] as const) {
    const keys = report.keys.filter((k) => k.use === use);
    if (!keys.length) continue;
    lines.push(`${LINT_USE[use]}:`);
    lines.push(...table(keys.map((k) => [`  ${k.key}`, k.line ? `line ${k.line}` : '', k.note ?? ''])));
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (rustProblems.length) {
    lines.push('the Rust tool cannot load this file (it would run with its defaults):');
    for (const p of rustProblems) lines.push(`  ${p}`);
  }
  const used = report.keys.filter((k) => k.use === 'wg').length;
  lines.push(`${report.keys.length} key(s): ${used} used by wg, ${report.keys.filter((k) => k.use === 'mapped').length} mapped, ${report.keys.filter((k) => k.use === 'ignored' || k.use === 'obsolete').length} ignored${rustProblems.length ? '' : '; loadable by the Rust tool'}`);
  return lines;
}
