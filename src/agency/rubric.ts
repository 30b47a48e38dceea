/**
 * The evaluation rubric, pure: the prompt the evaluator receives (built from the task, its
 * `## Validation` section, its log, artifacts and agent output), the parser of the evaluator's
 * answer (a Claude CLI `--output-format json` envelope, or the bare JSON object, or text with
 * one JSON object in it), the flag parsers of `wg evaluate record`, and the per-agent rollup.
 */
import { usageError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import { DIMENSIONS, type Dimension } from './evaluations.js';
import { modelFromModelUsage } from '../agents/executors/stream.js';

export const DIMENSION_HELP: Record<Dimension, string> = {
  correctness: 'does the result work and do what it claims; are there bugs or false claims',
  completeness: 'is every requirement (and every item of the Validation section) addressed',
  efficiency: 'was the work done without needless churn, waste or detours',
  style_adherence: "does it follow the project's conventions and the task's stated style",
  downstream_usability: 'can the tasks and people that depend on this use it without rework',
  coordination_overhead: 'did it keep the graph tidy: clear log entries, artifacts recorded, no confusion for others (1 = no overhead)',
  blocking_impact: 'did it avoid holding others up: finished promptly, no unnecessary blockers (1 = no negative impact)',
  intent_fidelity: 'does the result match what the task author actually meant, not just the literal words',
  constraint_fidelity: 'does it respect every explicit constraint in the task (scope, files, tools, "do not" rules)',
};

/** The `## Validation` section of a description (up to the next heading of level ≤ 2). */
export function validationSection(description: string | undefined): string | undefined {
  if (!description) return undefined;
  const lines = description.split('\n');
  const start = lines.findIndex((l) => /^#{1,3}\s+validation\b/i.test(l.trim()));
  if (start < 0) return undefined;
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (/^#{1,2}\s/.test(l.trim())) break;
    out.push(l);
  }
  const text = out.join('\n').trim();
  return text || undefined;
}

export interface RubricInput {
  task: Task;
  /** Artifact paths, with the text of the small ones that could be read. */
  artifacts: Array<{ path: string; content?: string }>;
  /** The tail of the last agent's output log, if any. */
  output?: string | undefined;
  /** The agent identity that did the work, rendered for context. */
  identity?: string | undefined;
}

const MAX_LOG_ENTRIES = 40;

export function buildRubricPrompt(input: RubricInput): string {
  const { task } = input;
  const out: string[] = [
    'You are an evaluator of completed work in a task graph. Judge the work below strictly and fairly.',
    'Answer with ONLY a JSON object, no prose around it, of this exact shape:',
    '{"score": <0..1>, "dimensions": {' + DIMENSIONS.map((d) => `"${d}": <0..1>`).join(', ') + '}, "notes": "<2-5 sentences: what is good, what is missing or wrong>"}',
    '',
    'Scoring bands: 0.0-0.2 failing, 0.2-0.4 poor, 0.4-0.6 acceptable, 0.6-0.8 exceeds expectations, 0.8-1.0 exceptional.',
    'The overall score is your weighted judgement: correctness 30%, completeness 20%, downstream_usability 15%, efficiency 10%, style_adherence 10%, coordination_overhead 10%, blocking_impact 5%; let intent_fidelity and constraint_fidelity lower it when they are poor.',
    '',
    '## Dimensions',
    ...DIMENSIONS.map((d) => `- ${d}: ${DIMENSION_HELP[d]}`),
    '',
    `## Task ${task.id}: ${task.title}`,
    `Status: ${task.status}`,
  ];
  if (input.identity) out.push(`Done by: ${input.identity}`);
  if (task.tags?.length) out.push(`Tags: ${task.tags.join(', ')}`);
  out.push('', '### Description', '', task.description?.trim() || '(no description)');
  const validation = validationSection(task.description);
  out.push('', '### Validation criteria', '', validation ?? '(none given: judge against the title and description)');
  if (task.deliverables?.length) out.push('', '### Deliverables', '', ...task.deliverables.map((d) => `- ${d}`));
  out.push('', '### Artifacts');
  if (!input.artifacts.length) out.push('', '(none recorded)');
  for (const a of input.artifacts) {
    out.push('', `- ${a.path}`);
    if (a.content !== undefined) out.push('```', a.content.replace(/```/g, '` ` `'), '```');
  }
  const log = (task.log ?? []).slice(-MAX_LOG_ENTRIES);
  out.push('', '### Log', '');
  out.push(...(log.length ? log.map((e) => `- ${e.timestamp} ${e.actor ? `[${e.actor}] ` : ''}${e.message}`) : ['(empty)']));
  if (input.output?.trim()) out.push('', '### Agent output (tail)', '', '```', input.output.trim().replace(/```/g, '` ` `'), '```');
  out.push('', 'Now answer with the JSON object only.');
  return out.join('\n') + '\n';
}

export interface ParsedEvaluation {
  score: number;
  dimensions: Partial<Record<Dimension, number>>;
  notes?: string;
  /** Dimension names the evaluator returned that are not ours (dropped). */
  ignored: string[];
  /** The model the Claude CLI reports, when it does. */
  model?: string;
}

/** The first balanced `{…}` in a text that parses as JSON (skips strings while counting). */
export function extractJsonObject(text: string): unknown {
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1));
        } catch {
          break;
        }
      }
    }
  }
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The evaluator's stdout → an evaluation. Throws an Error with a one-line reason (the caller
 * names the evaluator) when there is no usable answer.
 */
export function parseEvaluatorOutput(stdout: string): ParsedEvaluation {
  let top: unknown;
  try {
    top = JSON.parse(stdout);
  } catch {
    top = undefined;
  }
  let model: string | undefined;
  // `claude --output-format json`: one result object (or, with --verbose, an array of events).
  if (Array.isArray(top)) top = [...top].reverse().find((e) => isObject(e) && e.type === 'result') ?? top;
  let payload: unknown = top;
  if (isObject(top) && typeof top.result === 'string' && !('score' in top)) {
    if (top.is_error === true) throw new Error(`the evaluator reported an error: ${top.result.split('\n')[0]!.slice(0, 200)}`);
    // The real envelope has no top-level `model`: the model is a key of `modelUsage`.
    model = typeof top.model === 'string' ? top.model : modelFromModelUsage(top.modelUsage);
    payload = extractJsonObject(top.result);
  } else if (top === undefined) {
    payload = extractJsonObject(stdout);
  }
  if (!isObject(payload)) throw new Error('no JSON object with a score in the evaluator output');
  const score = toUnit(payload.score);
  if (score === undefined) throw new Error(`the evaluator's score ${JSON.stringify(payload.score) ?? 'is missing'}${payload.score === undefined ? '' : ' is not a number in 0..1'}`);
  const dimensions: Partial<Record<Dimension, number>> = {};
  const ignored: string[] = [];
  if (payload.dimensions !== undefined && !isObject(payload.dimensions)) throw new Error('the evaluator\'s "dimensions" is not an object');
  for (const [k, v] of Object.entries((payload.dimensions as Record<string, unknown> | undefined) ?? {})) {
    if (!(DIMENSIONS as readonly string[]).includes(k)) {
      ignored.push(k);
      continue;
    }
    const u = toUnit(v);
    if (u === undefined) throw new Error(`the evaluator's dimension ${k} = ${JSON.stringify(v)} is not a number in 0..1`);
    dimensions[k as Dimension] = u;
  }
  const notes = typeof payload.notes === 'string' && payload.notes.trim() ? payload.notes.trim() : undefined;
  return { score, dimensions, ...(notes ? { notes } : {}), ignored, ...(model ? { model } : {}) };
}

function toUnit(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/** `--score S`: a number in 0..1, else a usage error. */
export function parseScoreFlag(text: string): number {
  const t = text.trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
  if (!(n >= 0 && n <= 1)) throw usageError(`invalid score '${text}'`, 'a score is a number from 0 to 1, e.g. --score 0.85');
  return n;
}

/** `--dim name=value`: a known dimension and a value in 0..1, else a usage error. */
export function parseDimensionFlag(text: string): [Dimension, number] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`invalid --dim '${text}'`, `write it as name=value, e.g. --dim correctness=0.9`);
  const name = text.slice(0, eq).trim();
  if (!(DIMENSIONS as readonly string[]).includes(name)) throw usageError(`unknown dimension '${name}'`, `use one of: ${DIMENSIONS.join(', ')}`);
  const value = text.slice(eq + 1).trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 1)) throw usageError(`invalid value for dimension ${name}: '${value}'`, 'a dimension value is a number from 0 to 1');
  return [name as Dimension, n];
}

export const EVAL_SOURCES = ['manual', 'llm', 'system', 'flip'] as const;

/** `--source`: manual, llm, system, flip or outcome:<name> (the Rust tool's sources). */
export function parseSourceFlag(text: string): string {
  const s = text.trim();
  if ((EVAL_SOURCES as readonly string[]).includes(s) || /^outcome:[a-z0-9][a-z0-9_-]*$/.test(s)) return s;
  throw usageError(`unknown evaluation source '${text}'`, `use one of: ${EVAL_SOURCES.join(', ')}, outcome:<name>`);
}

export interface Rollup {
  count: number;
  mean: number | undefined;
}

/** Mean score of an agent identity's evaluations (system scores excluded, as in the Rust tool). */
export function rollup(evals: Array<{ agent_id?: string | null | undefined; score: number; source: string }>, agentId: string): Rollup {
  const mine = evals.filter((e) => e.agent_id === agentId && e.source !== 'system');
  return { count: mine.length, mean: mine.length ? mine.reduce((s, e) => s + e.score, 0) / mine.length : undefined };
}
