import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { planAdd, planAddSubtask, type AddInput } from '../../core/plans/add.js';
import { CliContext } from '../context.js';
import { collect, collectList, parseCount, parseDurationFlag, parsePriority, requireInstant } from '../parse.js';

interface AddFlags {
  id?: string;
  after?: string[];
  description?: string;
  tag?: string[];
  priority?: string;
  exec?: string;
  model?: string;
  maxRetries?: string;
  timeout?: string;
  paused?: boolean;
  notBefore?: string;
  allowPhantom?: boolean;
  deliverable?: string[];
  maxIterations?: string;
  cycleDelay?: string;
  verify?: string;
  verifyTimeout?: string;
  validation?: string;
  maxRejections?: string;
  independent?: boolean;
  subtask?: boolean;
}

export function register(program: Command): void {
  program
    .command('add')
    .description('add a task (ready to run unless --paused)')
    .argument('<title>', 'task title')
    .option('--id <id>', 'explicit id (default: derived from the title)')
    .option('--after <ids>', 'depends on these tasks (repeatable, comma lists)', collectList)
    .option('--blocked-by <ids>', 'alias of --after', collectList)
    .option('-d, --description <text>', 'description (markdown)')
    .option('-t, --tag <tag>', 'tag (repeatable)', collect)
    .option('-p, --priority <n>', 'priority: integer, higher first (default 10), or critical|high|normal|low|idle')
    .option('--exec <cmd>', 'shell command the shell executor runs')
    .option('--model <model>', 'model for the agent')
    .option('--max-retries <n>', 'bound on re-queues')
    .option('--timeout <duration>', 'per-task agent timeout (e.g. 30m)')
    .option('--paused', 'create as a paused draft')
    .option('--immediate', 'accepted for scripts written for the Rust tool (tasks are immediate by default)')
    .option('--not-before <time>', 'not ready before this RFC 3339 time (or +30m)')
    .option('--allow-phantom', 'allow dependencies on tasks that do not exist yet')
    .option('--deliverable <text>', 'expected output (repeatable)', collect)
    .option('--max-iterations <n>', 'make a loop with the --after tasks, run at most N times')
    .option('--cycle-delay <duration>', 'delay between loop iterations')
    .option('--verify <cmd>', 'a shell command `wg done` runs first; it must exit 0')
    .option('--verify-timeout <duration>', 'how long the verify command may run (default: verify_default_timeout)')
    .option('--validation <text>', 'a human validates: done → pending-validation until wg approve / wg reject (text: the criteria)')
    .option('--max-rejections <n>', 'rejections before the task fails (default: max_rejections, 3)')
    .option('--independent', 'run by an agent: do not make the new task come after the agent\'s task')
    .option('--no-after', 'alias of --independent')
    .option('--subtask', 'run by an agent: the agent\'s task waits for the new one (the agent exits; it resumes when the subtask ends)')
    .action(async (title: string, flags: AddFlags & { blockedBy?: string[] }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const input: AddInput = { title };
      if (flags.id !== undefined) input.id = flags.id;
      const after = [...(Array.isArray(flags.after) ? flags.after : []), ...(flags.blockedBy ?? [])];
      if (after.length) input.after = after;
      if (flags.description !== undefined) input.description = flags.description;
      if (flags.tag) input.tags = flags.tag;
      if (flags.priority !== undefined) input.priority = parsePriority(flags.priority);
      if (flags.exec !== undefined) input.exec = flags.exec;
      if (flags.model !== undefined) input.model = flags.model;
      if (flags.maxRetries !== undefined) input.maxRetries = parseCount('--max-retries', flags.maxRetries);
      if (flags.timeout !== undefined) input.timeout = parseDurationFlag('--timeout', flags.timeout);
      if (flags.paused) input.paused = true;
      if (flags.notBefore !== undefined) input.notBefore = requireInstant('--not-before', flags.notBefore, who.now);
      if (flags.allowPhantom) input.allowPhantom = true;
      if (flags.deliverable) input.deliverables = flags.deliverable;
      if (flags.maxIterations !== undefined) {
        const max = parseCount('--max-iterations', flags.maxIterations);
        input.cycle = { max_iterations: max };
        if (flags.cycleDelay !== undefined) input.cycle.delay = parseDurationFlag('--cycle-delay', flags.cycleDelay);
      } else if (flags.cycleDelay !== undefined) {
        throw usageError('--cycle-delay needs --max-iterations', 'add --max-iterations N to make the task a loop');
      }
      if (flags.verify !== undefined) input.verify = flags.verify;
      if (flags.verifyTimeout !== undefined) input.verifyTimeout = parseDurationFlag('--verify-timeout', flags.verifyTimeout);
      if (flags.validation !== undefined) input.validation = flags.validation;
      if (flags.maxRejections !== undefined) {
        input.maxRejections = parseCount('--max-rejections', flags.maxRejections);
        if (input.maxRejections < 1) throw usageError('--max-rejections must be at least 1');
      }
      // commander turns --no-after into after === false
      if (flags.independent || (flags as { after?: unknown }).after === false) input.independent = true;
      const parent = ctx.env.WG_TASK_ID || undefined;
      if (parent) input.parent = parent;
      if (flags.subtask) {
        if (!parent) throw usageError('--subtask needs the current task: run it as an agent (WG_TASK_ID set)');
        input.independent = true;
      }
      const r = await ctx.mutate(who, (g) => (flags.subtask ? planAddSubtask(g, input, parent!, who) : planAdd(g, input, who)));
      const t = r.task;
      ctx.out(t, () => [
        `Added task: ${t.title} (${t.id})${t.paused ? ' [paused draft — wg publish ' + t.id + ' when ready]' : ''}`,
        ...(flags.subtask ? [`'${parent}' now waits for '${t.id}': exit now; the service resumes '${parent}' when '${t.id}' is done or failed.`] : []),
      ]);
    });
}
