/**
 * `wg trace show ID` / `wg trace export ID`: every attempt of a task (core/trace.ts) from the
 * registry, the event stream (operations log + service events), the task's log and the agents'
 * output files. Archived tasks are traced too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Task } from '../../core/task.js';
import { buildTrace, type Trace } from '../../core/trace.js';
import { requireTask } from '../../core/plan.js';
import { readEvents } from '../../events/source.js';
import { traceLines } from '../../render/trace.js';
import { findArchived } from '../../store/archive.js';
import type { WgPaths } from '../../store/paths.js';
import { CliContext } from '../context.js';

const TAIL_LINES = 15;
const TAIL_BYTES = 64 * 1024;

function outputTail(paths: WgPaths, agent: string, file: unknown): string[] {
  const p = typeof file === 'string' && file ? file : join(paths.agentsDir, agent, 'output.log');
  if (!existsSync(p)) return [];
  try {
    const text = readFileSync(p, 'utf8');
    const lines = text.slice(-TAIL_BYTES).split('\n').map((l) => l.trimEnd()).filter(Boolean);
    return lines.slice(-TAIL_LINES).map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l));
  } catch {
    return [];
  }
}

async function loadTrace(ctx: CliContext, id: string): Promise<Trace> {
  const paths = ctx.paths;
  const pg = await ctx.pg();
  let task: Task | undefined = pg ? (await ctx.graph({ rows: true, whole: [id] })).get(id) : ctx.store().view().get(id);
  if (!task && !pg) task = findArchived(paths, id);
  if (!task) task = requireTask(pg ? await ctx.graph({ rows: true, whole: [id] }) : ctx.store().loadFast(), id);
  // Every host's attempts with PostgreSQL (the registry is shared); outputs and events are this host's files.
  const agents = Object.values((await ctx.registry()).agents).filter((a) => a.task_id === id);
  const tails = new Map(agents.map((a) => [a.id, outputTail(paths, a.id, a.output_file)]));
  return buildTrace(task, agents, readEvents(paths, 'start'), tails, ctx.clock.now());
}

export function register(program: Command): void {
  const trace = program.command('trace').description("a task's attempts: agent, executor, model, times, exit, failure, tokens, cost, log, output tail");
  trace
    .command('show')
    .description('every attempt of a task, one block each')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const t = await loadTrace(ctx, id);
      ctx.out(t, () => traceLines(t));
    });
  trace
    .command('export')
    .description('the same as JSON (always)')
    .argument('<id>', 'task id')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      process.stdout.write(JSON.stringify(await loadTrace(ctx, id), null, 2) + '\n');
    });
}
