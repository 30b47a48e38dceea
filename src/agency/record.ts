/**
 * Recording an evaluation (shared by `wg evaluate record` and `wg evaluate run`): the full
 * record of SPEC §8 plus the Rust tool's role_id/tradeoff_id/loop_iteration, validated with the
 * schema before it is written, one file per evaluation.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { WgError } from '../core/errors.js';
import { isValidTaskId } from '../core/ids.js';
import type { Task } from '../core/task.js';
import { formatTimestamp } from '../core/time.js';
import type { WgPaths } from '../store/paths.js';
import { evaluationSchema, newEvaluationId, writeEvaluation, type Dimension, type Evaluation } from './evaluations.js';
import { loadIdentity } from './files.js';
import { shortId } from './identity.js';

export interface RecordInput {
  score: number;
  dimensions: Partial<Record<Dimension, number>>;
  notes?: string | undefined;
  evaluator: string;
  model?: string | undefined;
  source: string;
}

/** The task's id must be safe as a file-name part before an evaluation of it is stored. */
export function requireStorableTask(task: Task): void {
  if (!isValidTaskId(task.id)) throw new WgError('invalid_argument', `cannot store an evaluation for task id '${task.id}': not a safe file name`, { exitCode: 1, hint: 'task ids created by wg are; rename the task' });
}

export function recordEvaluation(paths: WgPaths, task: Task, input: RecordInput, now: Date): { evaluation: Evaluation; file: string } {
  requireStorableTask(task);
  const identity = task.agent ? loadIdentity(paths, task.agent) : undefined;
  const raw = {
    id: newEvaluationId(paths, task.id, now),
    task_id: task.id,
    agent_id: task.agent ?? null,
    ...(identity?.agent ? { role_id: identity.agent.role_id, tradeoff_id: identity.agent.tradeoff_id } : {}),
    score: input.score,
    dimensions: input.dimensions,
    notes: input.notes ?? null,
    evaluator: input.evaluator,
    model: input.model ?? null,
    source: input.source,
    timestamp: formatTimestamp(now),
    ...(task.loop_iteration ? { loop_iteration: task.loop_iteration } : {}),
  };
  const evaluation = evaluationSchema.parse(raw);
  return { evaluation, file: writeEvaluation(paths, evaluation) };
}

const MAX_ARTIFACT_BYTES = 8_000;
const MAX_ARTIFACTS_WITH_TEXT = 5;
const OUTPUT_TAIL = 6_000;

/** Artifacts for the rubric: paths, and the text of small files inside the project. */
export function artifactsForRubric(paths: WgPaths, task: Task): Array<{ path: string; content?: string }> {
  const root = dirname(paths.dir);
  let withText = 0;
  return (task.artifacts ?? []).map((p) => {
    const abs = isAbsolute(p) ? p : resolve(root, p);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('.wg') || withText >= MAX_ARTIFACTS_WITH_TEXT) return { path: p };
    try {
      const st = statSync(abs);
      if (!st.isFile() || st.size > MAX_ARTIFACT_BYTES) return { path: p };
      const text = readFileSync(abs, 'utf8');
      if (text.includes('\u0000')) return { path: p };
      withText++;
      return { path: p, content: text };
    } catch {
      return { path: p };
    }
  });
}

/** The tail of the output log of the agent that last held the task (its claim is kept on done). */
export function agentOutputTail(paths: WgPaths, task: Task): string | undefined {
  if (!task.assigned || !/^agent-\d+$/.test(task.assigned)) return undefined;
  const file = join(paths.agentsDir, task.assigned, 'output.log');
  if (!existsSync(file)) return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > OUTPUT_TAIL ? `…${text.slice(-OUTPUT_TAIL)}` : text;
  } catch {
    return undefined;
  }
}

export function describeIdentity(paths: WgPaths, agentHash: string | undefined): string | undefined {
  if (!agentHash) return undefined;
  const id = loadIdentity(paths, agentHash);
  if (!id.agent) return `agent identity ${shortId(agentHash)} (not in .wg/agency/agents)`;
  return `agent identity ${shortId(agentHash)}${id.agent.name ? ` "${id.agent.name}"` : ''}: role ${id.role?.name ?? shortId(id.agent.role_id)}, tradeoff ${id.tradeoff?.name ?? shortId(id.agent.tradeoff_id)}`;
}
