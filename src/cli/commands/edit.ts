import type { Command } from 'commander';
import { planEdit, type EditInput } from '../../core/plans/edit.js';
import { usageError } from '../../core/errors.js';
import { VALIDATION_MODES } from '../../core/gates.js';
import { CliContext } from '../context.js';
import { collect, collectList, parseCount, parseDurationFlag, parsePriority, requireInstant } from '../parse.js';

interface EditFlags {
  title?: string;
  description?: string;
  priority?: string;
  model?: string;
  exec?: string;
  addTag?: string[];
  removeTag?: string[];
  addAfter?: string[];
  removeAfter?: string[];
  maxRetries?: string;
  timeout?: string;
  notBefore?: string;
  maxIterations?: string;
  cycleDelay?: string;
  allowPhantom?: boolean;
  verify?: string;
  validation?: string;
  maxRejections?: string;
}

export function register(program: Command): void {
  program
    .command('edit')
    .description('change a task’s fields and dependencies (an edit that changes nothing writes nothing)')
    .argument('<id>', 'task id')
    .option('--title <text>', 'new title')
    .option('-d, --description <text>', 'new description ("" clears)')
    .option('-p, --priority <n>', 'new priority')
    .option('--model <model>', 'model ("" clears)')
    .option('--exec <cmd>', 'shell command ("" clears)')
    .option('--add-tag <tag>', 'add a tag (repeatable)', collect)
    .option('--remove-tag <tag>', 'remove a tag (repeatable)', collect)
    .option('--add-after <ids>', 'add dependencies (repeatable, comma lists)', collectList)
    .option('--remove-after <ids>', 'remove dependencies (repeatable, comma lists)', collectList)
    .option('--max-retries <n>', 'bound on re-queues')
    .option('--timeout <duration>', 'per-task agent timeout ("" clears)')
    .option('--not-before <time>', 'RFC 3339 time or +30m ("" clears)')
    .option('--max-iterations <n>', 'make this task the loop config owner: at most N iterations')
    .option('--cycle-delay <duration>', 'delay between loop iterations (with --max-iterations)')
    .option('--allow-phantom', 'allow dependencies on tasks that do not exist yet')
    .option('--verify <cmd>', 'the command wg done must pass ("" clears)')
    .option('--validation <mode>', 'external (a human approves), llm, integrated or none ("" clears)')
    .option('--max-rejections <n>', 'rejections before the task fails')
    .action(async (id: string, f: EditFlags, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const input: EditInput = {};
      if (f.title !== undefined) input.title = f.title;
      if (f.description !== undefined) input.description = f.description;
      if (f.priority !== undefined) input.priority = parsePriority(f.priority);
      if (f.model !== undefined) input.model = f.model;
      if (f.exec !== undefined) input.exec = f.exec;
      if (f.addTag) input.addTags = f.addTag;
      if (f.removeTag) input.removeTags = f.removeTag;
      if (f.addAfter) input.addAfter = f.addAfter;
      if (f.removeAfter) input.removeAfter = f.removeAfter;
      if (f.maxRetries !== undefined) input.maxRetries = parseCount('--max-retries', f.maxRetries);
      if (f.timeout !== undefined) input.timeout = f.timeout === '' ? '' : parseDurationFlag('--timeout', f.timeout);
      if (f.notBefore !== undefined) input.notBefore = f.notBefore === '' ? null : requireInstant('--not-before', f.notBefore, who.now);
      if (f.maxIterations !== undefined) {
        input.cycle = { max_iterations: parseCount('--max-iterations', f.maxIterations) };
        if (f.cycleDelay !== undefined) input.cycle.delay = parseDurationFlag('--cycle-delay', f.cycleDelay);
      }
      if (f.allowPhantom) input.allowPhantom = true;
      if (f.verify !== undefined) input.verify = f.verify;
      if (f.validation !== undefined) {
        if (f.validation !== '' && !(VALIDATION_MODES as readonly string[]).includes(f.validation)) throw usageError(`invalid --validation '${f.validation}'`, 'use external, llm, integrated or none (criteria go in the description under ## Validation)');
        input.validation = f.validation;
      }
      if (f.maxRejections !== undefined) {
        input.maxRejections = parseCount('--max-rejections', f.maxRejections);
        if (input.maxRejections < 1) throw usageError('--max-rejections must be at least 1');
      }
      const r = await ctx.mutate(who, (g) => planEdit(g, id, input, who));
      ctx.out({ task: r.task, changed: r.changed }, () => (r.changed.length ? `Updated '${id}': ${r.changed.join(', ')}` : `No changes made to '${id}'`));
    });
}
