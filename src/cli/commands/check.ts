import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { rustLoadsGraph, rustLoadsRegistry } from '../../compat/rust-rules.js';
import { ExitCode } from '../../core/errors.js';
import { isStaleClaimCandidate } from '../../core/plans/reconcile.js';
import { isNonIntegerPriority } from '../../core/task-line.js';
import { parseTimestamp } from '../../core/time.js';
import { TERMINAL_STATUSES } from '../../core/transitions.js';
import { isEndedStatus, readRegistry } from '../../store/registry.js';
import { JsonlStore } from '../../store/store.js';
import { CliContext } from '../context.js';

interface Finding {
  level: 'error' | 'warning';
  kind: string;
  task_id?: string;
  line?: number;
  message: string;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('check the graph: dangling dependencies (error), cycles without loop config, stale agent claims, legacy values, lines the Rust tool could not load (warnings)')
    .option('--strict', "also report before/after mirrors that disagree (the Rust tool maintains them loosely, so they are noise by default)")
    .action((flags: { strict?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      // No read warning for a repeated id: it is one of the findings.
      const { graph, file } = new JsonlStore(ctx.paths).load();
      const registry = readRegistry(ctx.paths);
      const findings: Finding[] = [];
      for (const t of graph.tasks.values()) {
        for (const dep of t.after ?? []) {
          if (!graph.has(dep)) {
            // Old graphs of the Rust tool often name tasks long gone; a finished task waits on nothing.
            const level = TERMINAL_STATUSES.has(t.status) ? 'warning' : 'error';
            findings.push({ level, kind: 'dangling-dependency', task_id: t.id, message: `'${t.id}' depends on '${dep}', which does not exist (wg rm-dep ${t.id} ${dep})` });
          } else if (flags.strict && !(graph.get(dep)!.before ?? []).includes(t.id)) {
            findings.push({ level: 'warning', kind: 'missing-backlink', task_id: dep, message: `'${dep}'.before lacks '${t.id}' (the mirror of '${t.id}'.after)` });
          }
        }
        if (isStaleClaimCandidate(t)) {
          const agent = registry.agents[t.assigned!];
          if (!agent) findings.push({ level: 'warning', kind: 'unknown-agent-claim', task_id: t.id, message: `'${t.id}' is claimed by ${t.assigned}, which is not in the agent registry (wg unclaim ${t.id})` });
          else if (isEndedStatus(agent.status)) findings.push({ level: 'warning', kind: 'dead-agent-claim', task_id: t.id, message: `'${t.id}' is claimed by ${t.assigned}, which is ${agent.status} (wg unclaim ${t.id})` });
        }
        for (const f of ['not_before', 'ready_after', 'created_at', 'started_at', 'completed_at'] as const) {
          const v = t[f];
          if (v && !parseTimestamp(v)) findings.push({ level: 'warning', kind: 'bad-timestamp', task_id: t.id, message: `'${t.id}'.${f} is not RFC 3339: '${v}'` });
        }
      }
      for (const c of graph.cycleAnalysis().cycles) {
        if (!c.configOwner) findings.push({ level: 'warning', kind: 'unconfigured-cycle', task_id: c.header, message: `cycle without cycle_config (deadlocked): ${c.members.join(' → ')} (wg rm-dep, or wg edit ${c.header} --max-iterations N)` });
      }
      findings.push(...legacyValues(file.lines), ...rustLoadability(ctx.paths.graph, ctx.paths.registry));
      for (const d of file.duplicates) {
        findings.push({ level: 'warning', kind: 'duplicate-id', task_id: d.id, line: d.lines.at(-1)!, message: `'${d.id}' is on lines ${d.lines.join(', ')} of graph.jsonl: line ${d.lines.at(-1)} is used (as by the Rust tool); writes to it are refused until one line is removed` });
      }
      const errors = findings.filter((f) => f.level === 'error').length;
      if (errors) process.exitCode = ExitCode.refused;
      ctx.out({ ok: errors === 0, findings }, () => (findings.length ? findings.map((f) => `${f.level}: ${f.message}`) : `OK: ${graph.tasks.size} tasks, no problems found`));
    });
}

/** Values both tools read as something else than written: a priority that is not a whole number. */
function legacyValues(lines: ReadonlyArray<{ raw: string; task?: { id: string } }>): Finding[] {
  const out: Finding[] = [];
  lines.forEach((l, i) => {
    if (!l.task || !l.raw.includes('"priority"')) return;
    const raw = (JSON.parse(l.raw) as { priority?: unknown }).priority;
    if (isNonIntegerPriority(raw)) {
      out.push({ level: 'warning', kind: 'legacy-priority', task_id: l.task.id, line: i + 1, message: `'${l.task.id}' has priority ${JSON.stringify(raw)}, read as ${String((l.task as { priority?: number }).priority)} (wg edit ${l.task.id} --priority N)` });
    }
  });
  return out;
}

/** What the Rust tool would refuse to load (it refuses the whole file at the first such line). */
function rustLoadability(graphPath: string, registryPath: string): Finding[] {
  const out: Finding[] = [];
  for (const p of rustLoadsGraph(readFileSync(graphPath)).errors) {
    out.push({ level: 'warning', kind: 'rust-unloadable', ...(p.line ? { line: p.line } : {}), message: `the Rust tool cannot load graph.jsonl: ${p.message}` });
  }
  if (existsSync(registryPath)) {
    for (const p of rustLoadsRegistry(readFileSync(registryPath)).errors) out.push({ level: 'warning', kind: 'rust-unloadable', message: `the Rust tool cannot load service/registry.json: ${p.message}` });
  }
  return out;
}
