import type { Command } from 'commander';
import { ExitCode } from '../../core/errors.js';
import { isStaleClaimCandidate } from '../../core/plans/reconcile.js';
import { parseTimestamp } from '../../core/time.js';
import { isAliveStatus } from '../../store/registry.js';
import { CliContext } from '../context.js';

interface Finding {
  level: 'error' | 'warning';
  kind: string;
  task_id: string;
  message: string;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('check the graph: dangling dependencies (error), cycles without loop config, stale agent claims, inconsistent edges (warnings)')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const graph = await ctx.graph();
      const registry = await ctx.registry();
      const findings: Finding[] = [];
      for (const t of graph.tasks.values()) {
        for (const dep of t.after ?? []) {
          if (!graph.has(dep)) findings.push({ level: 'error', kind: 'dangling-dependency', task_id: t.id, message: `'${t.id}' depends on '${dep}', which does not exist (wg rm-dep ${t.id} ${dep})` });
          else if (!(graph.get(dep)!.before ?? []).includes(t.id)) findings.push({ level: 'warning', kind: 'missing-backlink', task_id: dep, message: `'${dep}'.before lacks '${t.id}' (the mirror of '${t.id}'.after)` });
        }
        if (isStaleClaimCandidate(t)) {
          const agent = registry.agents[t.assigned!];
          if (!agent) findings.push({ level: 'warning', kind: 'unknown-agent-claim', task_id: t.id, message: `'${t.id}' is claimed by ${t.assigned}, which is not in the agent registry (wg unclaim ${t.id})` });
          else if (!isAliveStatus(agent.status)) findings.push({ level: 'warning', kind: 'dead-agent-claim', task_id: t.id, message: `'${t.id}' is claimed by ${t.assigned}, which is ${agent.status} (wg unclaim ${t.id})` });
        }
        for (const f of ['not_before', 'ready_after', 'created_at', 'started_at', 'completed_at'] as const) {
          const v = t[f];
          if (v && !parseTimestamp(v)) findings.push({ level: 'warning', kind: 'bad-timestamp', task_id: t.id, message: `'${t.id}'.${f} is not RFC 3339: '${v}'` });
        }
      }
      for (const c of graph.cycleAnalysis().cycles) {
        if (!c.configOwner) findings.push({ level: 'warning', kind: 'unconfigured-cycle', task_id: c.header, message: `cycle without cycle_config (deadlocked): ${c.members.join(' → ')} (wg rm-dep, or wg edit ${c.header} --max-iterations N)` });
      }
      const errors = findings.filter((f) => f.level === 'error').length;
      if (errors) process.exitCode = ExitCode.refused;
      ctx.out({ ok: errors === 0, findings }, () => (findings.length ? findings.map((f) => `${f.level}: ${f.message}`) : `OK: ${graph.tasks.size} tasks, no problems found`));
    });
}
