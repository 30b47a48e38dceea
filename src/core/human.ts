/**
 * What waits for a human (`wg status`, `wg service status`): work a person must approve or
 * reject, questions an agent parked on, and agent branches that could not be merged. One
 * function, so both views list the same things with the same fix.
 */
import type { Graph } from './graph.js';
import { isSystemId } from './task.js';
import { describeWait, readWaitSpec, waitsForHuman } from './wait.js';

export interface HumanItem {
  kind: 'validation' | 'answer' | 'merge';
  task: string;
  title: string;
  detail: string;
  fix: string;
}

export interface UnmergedWork {
  task: string;
  agent: string;
  branch: string;
  reason: string;
}

export function awaitingHuman(graph: Graph, unmerged: readonly UnmergedWork[] = []): HumanItem[] {
  const out: HumanItem[] = [];
  for (const row of graph.tasks.values()) {
    if (isSystemId(row.id)) continue;
    if (row.status === 'pending-validation') {
      out.push({ kind: 'validation', task: row.id, title: row.title, detail: 'finished, awaiting validation', fix: `wg approve ${row.id}  |  wg reject ${row.id} --reason "…"` });
    } else if (row.status === 'waiting') {
      const spec = readWaitSpec(graph.get(row.id)!.wait_condition);
      if (waitsForHuman(spec)) out.push({ kind: 'answer', task: row.id, title: row.title, detail: `waiting for ${describeWait(spec!)}`, fix: `wg msg list ${row.id}; wg msg send ${row.id} "…"` });
    }
  }
  for (const u of unmerged) {
    const title = graph.get(u.task)?.title ?? '(task not in the graph)';
    out.push({ kind: 'merge', task: u.task, title, detail: `${u.agent}'s branch ${u.branch} is not merged: ${u.reason}`, fix: `merge ${u.branch} by hand, or 'wg done/approve ${u.task}' once it merges cleanly` });
  }
  return out;
}
