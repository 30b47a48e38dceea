import { dirname } from 'node:path';
import type { Command } from 'commander';
import { usageError, WgError } from '../../core/errors.js';
import { requireTask } from '../../core/plan.js';
import { EVALUABLE_STATUSES } from '../../core/transitions.js';
import { DIMENSIONS, readTaskEvaluations, type Dimension, type Evaluation } from '../../agency/evaluations.js';
import { EvaluatorMissing, evaluatorSpec, runEvaluator } from '../../agency/evaluator.js';
import { readAgentOutput } from '../../agents/executors/stream.js';
import { shortId } from '../../agency/identity.js';
import { agentOutputTail, artifactsForRubric, describeIdentity, recordEvaluation, requireStorableTask } from '../../agency/record.js';
import { buildRubricPrompt, parseDimensionFlag, parseEvaluatorOutput, parseScoreFlag, parseSourceFlag } from '../../agency/rubric.js';
import { collect } from '../parse.js';
import { table } from '../../render/table.js';
import { CliContext } from '../context.js';

const PARSE_ATTEMPTS = 3;

const summary = (e: Evaluation): string => `score ${e.score.toFixed(2)} (${e.source}${e.evaluator ? `, ${e.evaluator}` : ''})`;

export function register(program: Command): void {
  const evaluate = program.command('evaluate').description('evaluations of finished work: record one by hand, run the evaluator, show them');

  evaluate
    .command('record')
    .description('record an evaluation by hand (score and dimensions are numbers 0..1)')
    .argument('[task]', 'task id (or --task)')
    .option('--task <id>', 'task id (the Rust tool\'s spelling)')
    .requiredOption('--score <s>', 'overall score, 0..1')
    .option('--dim <name=value>', `a dimension score (repeatable): ${DIMENSIONS.join(', ')}`, collect)
    .option('--notes <text>', 'what was good, what was missing')
    .option('--source <source>', 'manual | llm | system | flip | outcome:<name>', 'manual')
    .action((positional: string | undefined, flags: { task?: string; score: string; dim?: string[]; notes?: string; source: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (positional !== undefined && flags.task !== undefined && positional !== flags.task) throw usageError(`two tasks given: '${positional}' and --task '${flags.task}'`, 'give the task once');
      const taskId = positional ?? flags.task;
      if (taskId === undefined) throw usageError('which task? give its id', 'wg evaluate record TASK --score 0.8  ·  wg evaluate record --task TASK --score 0.8');
      // Every flag is checked before anything is read or written.
      const score = parseScoreFlag(flags.score);
      const dimensions: Partial<Record<Dimension, number>> = {};
      for (const d of flags.dim ?? []) {
        const [name, value] = parseDimensionFlag(d);
        if (name in dimensions) throw usageError(`dimension '${name}' given twice`, 'give each --dim once');
        dimensions[name] = value;
      }
      const source = parseSourceFlag(flags.source);
      const task = requireTask(ctx.store().load().graph, taskId);
      const who = ctx.actor();
      const { evaluation, file } = recordEvaluation(ctx.paths, task, { score, dimensions, notes: flags.notes?.trim() || undefined, evaluator: who.actor, source }, who.now);
      ctx.out({ evaluation, file }, () => `Recorded ${evaluation.id} for '${taskId}': ${summary(evaluation)}`);
    });

  evaluate
    .command('run')
    .description('ask the configured evaluator ([agency] evaluator, default: the claude CLI) to score a finished task')
    .argument('<task>', 'task id')
    .option('--print-prompt', 'print the rubric prompt and exit (runs nothing)')
    .action(async (taskId: string, flags: { printPrompt?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const settings = await ctx.settings();
      const task = requireTask(ctx.store().load().graph, taskId);
      const prompt = buildRubricPrompt({
        task,
        artifacts: artifactsForRubric(ctx.paths, task),
        output: agentOutputTail(ctx.paths, task),
        identity: describeIdentity(ctx.paths, task.agent),
      });
      if (flags.printPrompt) {
        ctx.out({ prompt }, () => prompt);
        return;
      }
      if (!EVALUABLE_STATUSES.has(task.status)) {
        throw new WgError('invalid_transition', `task '${taskId}' is ${task.status}: there is no finished work to evaluate yet`, { hint: `evaluate it once it is done (wg done ${taskId})` });
      }
      requireStorableTask(task);
      const spec = evaluatorSpec(settings.agency, taskId);
      let lastProblem = '';
      for (let attempt = 1; attempt <= PARSE_ATTEMPTS; attempt++) {
        let run;
        try {
          run = await runEvaluator(spec, prompt, { cwd: dirname(ctx.paths.dir), env: process.env });
        } catch (e) {
          if (e instanceof EvaluatorMissing) {
            throw new WgError('not_found', e.message, { hint: settings.agency.evaluator ? 'fix [agency] evaluator in .wg/config.toml' : "install the Claude Code CLI, or set [agency] evaluator = [\"cmd\", …] in .wg/config.toml" });
          }
          throw e;
        }
        if (run.timedOut) throw new WgError('io', `evaluator '${spec.name}' timed out after ${settings.config.agency.evaluator_timeout}`, { hint: 'raise [agency] evaluator_timeout' });
        if (run.code !== 0) {
          // Claude's own account (an is_error result, a root refusal), else the first output line.
          const why = readAgentOutput(`${run.stdout}\n${run.stderr}`).error_text ?? ((run.stderr.trim() || run.stdout.trim()).split('\n')[0]?.slice(0, 200) || 'no output');
          throw new WgError('io', `evaluator '${spec.name}' ${run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`}: ${why}`);
        }
        try {
          const parsed = parseEvaluatorOutput(run.stdout);
          if (parsed.ignored.length) ctx.note(`warning: ignored unknown dimension(s) from the evaluator: ${parsed.ignored.join(', ')}`);
          const now = ctx.clock.now();
          const { evaluation, file } = recordEvaluation(ctx.paths, task, { score: parsed.score, dimensions: parsed.dimensions, notes: parsed.notes, evaluator: spec.name, model: parsed.model ?? spec.model, source: 'llm' }, now);
          ctx.out({ evaluation, file, attempts: attempt }, () => [`Evaluated '${taskId}': ${summary(evaluation)}`, ...(evaluation.notes ? [`  ${evaluation.notes}`] : [])]);
          return;
        } catch (e) {
          if (e instanceof WgError) throw e;
          lastProblem = (e as Error).message;
        }
      }
      throw new WgError('io', `evaluator '${spec.name}' gave no usable evaluation after ${PARSE_ATTEMPTS} attempts: ${lastProblem}`, {
        hint: 'it must print {"score": 0..1, "dimensions": {...}, "notes": "..."} (see docs/agency.md)',
      });
    });

  evaluate
    .command('show')
    .description("a task's evaluations, newest first, with the dimensions of the latest")
    .argument('<task>', 'task id')
    .action((taskId: string, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const task = requireTask(ctx.store().load().graph, taskId);
      const evals = readTaskEvaluations(ctx.paths, task.id).sort((a, b) => (Date.parse(b.timestamp) || 0) - (Date.parse(a.timestamp) || 0));
      ctx.out(evals, () => {
        if (!evals.length) return `No evaluations for '${taskId}'`;
        const latest = evals[0]!;
        const out = [
          ...table(
            evals.map((e) => [e.id, e.score.toFixed(2), e.source, e.evaluator ?? '-', e.agent_id ? shortId(e.agent_id) : '-', e.timestamp]),
            { header: ['ID', 'SCORE', 'SOURCE', 'EVALUATOR', 'AGENT', 'TIMESTAMP'] },
          ),
          '',
          `Latest: ${latest.id}`,
          ...table(
            Object.entries(latest.dimensions)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => [`  └ ${k.replace(/_/g, ' ')}`, v.toFixed(2)]),
          ),
        ];
        if (latest.notes) out.push(`Notes: ${latest.notes}`);
        return out;
      });
    });
}
