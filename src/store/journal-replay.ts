/**
 * What one change-journal entry (journal.ts) does to a long-lived copy of graph.jsonl (the
 * service's LiveGraph), worked out before the copy changes: every line it sets parsed and
 * validated like any other (SPEC §1 rule 6), each either a replaced line (the same task on that
 * line) or an appended one (a new task, in order), and the new file's size and line count
 * recomputed from the copy's spans and checked against the entry. It costs the entry's lines,
 * never a pass over the graph. Throws when the entry does not fit the copy: the holder reloads.
 */
import type { Task } from '../core/task.js';
import { parseTaskLine } from './graph-file.js';
import type { IndexLine } from './graph-index.js';
import type { JournalEntry } from './journal.js';
import type { LineSpans } from './line-spans.js';

export interface EntryLines {
  /** Replaced lines: index, the task now on it, its byte length. */
  replaced: Array<{ i: number; task: Task; len: number }>;
  /** Appended lines, in order: the task, its byte offset and length in the new file. */
  appended: Array<{ task: Task; offset: number; len: number }>;
}

const misfit = (): Error => new Error('journal entry does not fit the copy');

/**
 * The lines `e` sets, checked against the copy: its `lines`, `spans` and byte `size`, and
 * whether a task id is already in it (`has`).
 */
export function entryLines(e: JournalEntry, lines: readonly IndexLine[], spans: LineSpans, size: number, has: (id: string) => boolean): EntryLines {
  const n = lines.length;
  const replaced: EntryLines['replaced'] = [];
  const added: Array<{ task: Task; len: number }> = [];
  // A few lines: the interpreted validator (compiling it costs ~15 ms once); many: compiled.
  const compiled = e.set.length > 32;
  for (const [i, text] of e.set) {
    const task = parseTaskLine(text, i + 1, 'graph.jsonl', compiled);
    const len = Buffer.byteLength(text, 'utf8');
    if (i < n) {
      const old = lines[i];
      if (old === null || typeof old !== 'object' || old.id !== task.id || replaced.some((r) => r.i === i)) throw misfit();
      replaced.push({ i, task, len });
    } else {
      if (i !== n + added.length || has(task.id) || added.some((a) => a.task.id === task.id)) throw misfit();
      added.push({ task, len });
    }
  }
  let next = size;
  for (const r of replaced) next += r.len - spans.len(r.i);
  // The old file's last line had no newline: the writer added one before appending.
  if (added.length && n > 0 && spans.end(n - 1) === size) next += 1;
  const appended = added.map((a) => {
    const offset = next;
    next += a.len + 1;
    return { ...a, offset };
  });
  if (next !== e.size || n + appended.length !== e.n) throw misfit();
  return { replaced, appended };
}
