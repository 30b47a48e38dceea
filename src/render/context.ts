/**
 * The text of a task's context (`wg context`, and the same sections in the agent prompt), and
 * of `wg discover`. One renderer, so what an agent is told at start and what it asks for later
 * never differ.
 */
import type { Discovered, TaskContext } from '../core/context.js';
import { formatMessage } from '../core/messages.js';

export function renderContextSections(c: TaskContext, opts: { emptyNote?: boolean } = {}): string[] {
  const out: string[] = [];
  if (c.checkpoint) out.push('## Checkpoint (where the previous attempt stood)', '', c.checkpoint, '');
  const p = c.previous;
  if (p.rejections.length) {
    out.push('## Review feedback (your work was rejected — address every point)', '');
    for (const r of p.rejections) out.push(`- ${r.timestamp}${r.by ? ` ${r.by}` : ''} (rejection ${r.n}/${r.max}): ${r.reason}`);
    out.push('');
  }
  if (p.retry_count > 0 || p.failure_reason || p.entries.length) {
    out.push('## Previous attempts', '');
    if (p.failure_reason) out.push(`Last failure: ${p.failure_reason}`);
    for (const e of p.entries) out.push(`- ${e.timestamp} ${e.message}`);
    out.push('Avoid repeating what made them fail.', '');
  }
  if (c.dependencies.length) {
    out.push('## What your dependencies produced', '');
    for (const d of c.dependencies) {
      out.push(`### ${d.id} (${d.status}): ${d.title}`);
      if (d.artifacts.length) out.push('Artifacts:', ...d.artifacts.map((a) => `- ${a}`));
      if (d.log.length) out.push('Last log entries:', ...d.log.map((e) => `- ${e.timestamp} ${e.message}`));
      out.push('');
    }
  }
  if (c.dependents?.length) {
    out.push('## Tasks waiting for this one', '');
    for (const d of c.dependents) out.push(`- ${d.id} (${d.status}): ${d.title}${d.description ? ` — ${d.description.split('\n')[0]}` : ''}`);
    out.push('');
  }
  if (c.unread.length) {
    out.push('## Messages for you', '');
    for (const m of c.unread) out.push(`- ${formatMessage(m)}`);
    out.push(`(Answer with: wg msg send ${c.id} "…")`, '');
  }
  if (!out.length && opts.emptyNote) out.push(`No context for '${c.id}' yet: no dependencies, checkpoint, earlier attempt or message.`);
  while (out.at(-1) === '') out.pop();
  return out;
}

export function renderDiscover(items: Discovered[], withArtifacts: boolean, window: string): string[] {
  if (!items.length) return [`Nothing completed in the last ${window}`];
  const out = [`Completed in the last ${window} (${items.length}):`];
  for (const d of items) {
    out.push(`  ${d.completed_at}  ${d.id}: ${d.title}${d.tags.length ? `  [${d.tags.join(', ')}]` : ''}`);
    if (withArtifacts) for (const a of d.artifacts) out.push(`      artifact: ${a}`);
    if (d.last_log) out.push(`      last log: ${d.last_log.split('\n')[0]}`);
  }
  return out;
}
