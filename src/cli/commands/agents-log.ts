/**
 * `wg agents log AGENT|TASK [-f] [-n N] [--raw]`: the last lines of an agent's output.log
 * (a task names its latest agent), made readable (render/agent-output.ts); `-f` follows the
 * file until the agent's process ends (Ctrl-C stops earlier).
 */
import type { Command } from 'commander';
import { agentFor, outputPathOf, readFrom } from '../../agents/agent-output.js';
import { registryLiveness } from '../../agents/liveness.js';
import { usageError, WgError } from '../../core/errors.js';
import { lastLines, readableOutput } from '../../render/agent-output.js';
import { CliContext } from '../context.js';

const FOLLOW_POLL_MS = 200;

export function registerAgentsLog(agents: Command): void {
  agents
    .command('log')
    .description("an agent's output (a task id: its latest agent), made readable; -f follows it while the agent runs")
    .argument('<agent-or-task>', 'agent id (agent-N) or task id')
    .option('-n, --lines <n>', 'how many lines (default 20)', '20')
    .option('-f, --follow', 'keep printing new output until the agent exits')
    .option('--raw', 'the lines as the CLI printed them (JSON events included)')
    .action(async (target: string, flags: { lines: string; follow?: boolean; raw?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const n = Number(flags.lines);
      if (!Number.isInteger(n) || n < 0) throw usageError(`invalid line count '${flags.lines}'`, 'use -n with a whole number, e.g. -n 50');
      if (flags.follow && ctx.json) throw usageError('--follow and --json exclude each other', 'use -f for a live view, --json for one snapshot');
      const reg = await ctx.registry();
      const agent = agentFor(reg, target);
      if (!agent) throw new WgError('not_found', `no agent '${target}', and no agent ran task '${target}'`, { hint: "'wg agents' lists agents and their tasks" });
      const path = outputPathOf(ctx.paths, agent);
      const first = readFrom(path, undefined);
      const opts = { raw: !!flags.raw };
      if (ctx.json) {
        ctx.out({ agent: agent.id, task: agent.task_id, status: agent.status, output_file: path, lines: lastLines(first.text, n, opts) }, () => '');
        return;
      }
      process.stdout.write(`==> ${agent.id} (task ${agent.task_id}, ${agent.status}): ${path}\n`);
      for (const l of lastLines(first.text, n, opts)) process.stdout.write(`${l}\n`);
      if (!flags.follow) return;
      let offset = first.end;
      let partial = '';
      const s = await ctx.settings();
      const alive = async (): Promise<boolean> => !!registryLiveness(await ctx.registry(), (await ctx.now()).getTime(), s.dispatcher.heartbeatTimeoutMs).get(agent.id)?.alive;
      for (;;) {
        const more = readFrom(path, offset);
        offset = more.end;
        const text = partial + more.text;
        const cut = text.lastIndexOf('\n');
        partial = cut < 0 ? text : text.slice(cut + 1);
        if (cut >= 0) for (const l of readableOutput(text.slice(0, cut + 1), opts)) process.stdout.write(`${l}\n`);
        if (!more.text && !(await alive())) break;
        await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      }
      if (partial) for (const l of readableOutput(partial, opts)) process.stdout.write(`${l}\n`);
      process.stdout.write(`==> ${agent.id} has ended\n`);
    });
}
