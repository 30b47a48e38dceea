/**
 * Evaluations (SPEC §8): one JSON file each under `.wg/agency/evaluations/`, named
 * `eval-<task>-<timestamp>.json`. The newest one of a task (by parsed timestamp, not string
 * compare) is what `wg show` and `wg html` display.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod/mini';
import { parseTimestamp } from '../core/time.js';
import { writeFileDurable } from '../store/atomic-write.js';
import { readJsonDir } from '../store/json-dir.js';
import type { WgPaths } from '../store/paths.js';

export const DIMENSIONS = [
  'correctness',
  'completeness',
  'efficiency',
  'style_adherence',
  'downstream_usability',
  'coordination_overhead',
  'blocking_impact',
  'intent_fidelity',
  'constraint_fidelity',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const unit = z.number().check(z.gte(0), z.lte(1));

export const evaluationSchema = z.looseObject({
  id: z.string(),
  task_id: z.string(),
  agent_id: z.optional(z.nullable(z.string())),
  score: unit,
  dimensions: z.record(z.string(), unit),
  notes: z.optional(z.nullable(z.string())),
  evaluator: z.optional(z.nullable(z.string())),
  model: z.optional(z.nullable(z.string())),
  source: z.string(),
  timestamp: z.string(),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export const evaluationsDir = (paths: WgPaths): string => join(paths.agencyDir, 'evaluations');

/** Every evaluation on disk; a malformed file is an error naming it (nothing is skipped silently). */
export function readEvaluations(paths: WgPaths, only?: ReadonlySet<string>): Evaluation[] {
  return readJsonDir(evaluationsDir(paths), evaluationSchema, only);
}

const ts = (e: Evaluation): number => parseTimestamp(e.timestamp)?.getTime() ?? 0;

/** The newest evaluation of a task, if any. */
export function latestEvaluation(evals: Evaluation[], taskId: string): Evaluation | undefined {
  let best: Evaluation | undefined;
  for (const e of evals) if (e.task_id === taskId && (!best || ts(e) >= ts(best))) best = e;
  return best;
}

export function writeEvaluation(paths: WgPaths, e: Evaluation): string {
  const dir = evaluationsDir(paths);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${e.id}.json`);
  writeFileDurable(file, JSON.stringify(e, null, 2) + '\n');
  return file;
}

/** The evaluations of one task (reads only files named `eval-<task>-…`, then checks task_id). */
export function readTaskEvaluations(paths: WgPaths, taskId: string): Evaluation[] {
  const dir = evaluationsDir(paths);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(`eval-${taskId}-`) && n.endsWith('.json'));
  } catch {
    return [];
  }
  if (!names.length) return [];
  return readEvaluations(paths, new Set(names)).filter((e) => e.task_id === taskId);
}

/** `eval-<task>-<YYYYMMDDTHHMMSS.mmmZ>` (no ':' — the files are meant to be committed), unique in the directory. */
export function newEvaluationId(paths: WgPaths, taskId: string, now: Date): string {
  const base = `eval-${taskId}-${now.toISOString().replace(/[-:]/g, '')}`;
  const taken = (id: string): boolean => existsSync(join(evaluationsDir(paths), `${id}.json`));
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}
