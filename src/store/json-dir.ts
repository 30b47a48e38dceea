/**
 * A directory of JSON files, one record each (agency roles, tradeoffs, agents, evaluations):
 * every file is validated with its zod schema on read, and a malformed one is an error that
 * names it — nothing is skipped silently. A missing directory is an empty list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod/mini';
import { WgError } from '../core/errors.js';
import { MAX_JSON_DEPTH, nestedTooDeeply } from './json-depth.js';
import { describeIssue, valueAt } from './validation.js';

export function readJsonDir<S extends z.ZodMiniType>(dir: string, schema: S, only?: ReadonlySet<string>): Array<z.infer<S>> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && (!only || only.has(n)));
  } catch {
    return [];
  }
  return names.sort().map((name) => {
    const file = join(dir, name);
    let raw: unknown;
    const text = readFileSync(file, 'utf8');
    if (nestedTooDeeply(text)) throw new WgError('corrupt_graph', `${file}: nested too deeply (more than ${MAX_JSON_DEPTH} levels of arrays and objects)`, { hint: 'fix or remove that file' });
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new WgError('corrupt_graph', `${file}: invalid JSON (${(e as Error).message})`, { hint: 'fix or remove that file' });
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new WgError('corrupt_graph', `${file}: ${describeIssue(i, valueAt(raw, i.path))}`, { hint: 'fix or remove that file' });
    }
    return r.data as z.infer<S>;
  });
}
