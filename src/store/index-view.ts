/**
 * Point reads from the index text, without parsing all of it: `wg show X` needs X whole, the
 * id/title/status of its dependencies and its dependents — a handful of entries, not 100k rows.
 * The index is one entry per text line (line i+1 describes graph line i), each entry starts
 * with `{"id":…,`, and ids are stored as ASCII JSON (graph-index.ts), so:
 *   - X's row is the line that starts `{"id":"X",`;
 *   - a dependent of X has `"X"` in its `after`: the lines containing `"X"` are the only
 *     candidates (an escaped quote inside a title cannot match), each one is parsed and checked.
 * Used only when the index describes the file by identity (store.ts view()). Measured at 100k
 * tasks: reading the 16 MB index text and searching it costs ~10 ms; parsing it all ~150 ms.
 */
export type { TaskView } from '../core/graph.js';
import type { TaskView } from '../core/graph.js';
import type { Task } from '../core/task.js';
import { entryFromText, MARK_EVERY, readLine, storedText, type IndexFile, type IndexLine } from './graph-index.js';
import { wholeTask } from './graph-file.js';


const decodeSpans = (b64: string, n: number): Uint32Array | undefined => {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== n * 8) return undefined;
  const spans = new Uint32Array(n * 2);
  Buffer.from(spans.buffer).set(bytes);
  return spans;
};

export class IndexView implements TaskView {
  private readonly rows = new Map<string, { row: Task; line: number } | null>();

  private constructor(
    private readonly f: IndexFile,
    private readonly spans: Uint32Array,
    private readonly fd: number,
  ) {}

  static open(index: IndexFile, fd: number): IndexView | undefined {
    const spans = decodeSpans(index.header.spans, index.header.n);
    return spans ? new IndexView(index, spans, fd) : undefined;
  }

  /** The entry on the text line starting at byte `start` (searched as bytes: no 16 MB string). */
  private entryAt(start: number): IndexLine {
    const b = this.f.bytes;
    let end = b.indexOf(10, start);
    if (end < 0) end = b.length;
    // Every entry is followed by `,` (or `]` on the last line).
    return entryFromText(b.toString('latin1', start, end - 1));
  }

  private find(id: string): { row: Task; line: number } | undefined {
    const cached = this.rows.get(id);
    if (cached !== undefined) return cached ?? undefined;
    // `{"id":"X",` — storedText of a minimal row gives the exact prefix (same escaping).
    const key = `\n${storedText({ id } as Task).slice(0, -1)},`;
    const at = this.f.bytes.indexOf(key, this.f.bodyStart - 1, 'latin1');
    let found: { row: Task; line: number } | undefined;
    if (at >= 0) {
      const row = this.entryAt(at + 1);
      if (row !== null && typeof row === 'object' && row.id === id) found = { row, line: this.entryIndex(at + 1) };
    }
    this.rows.set(id, found ?? null);
    return found;
  }

  /** Which entry (= graph line) starts at byte `pos`: from the nearest mark, count newlines. */
  private entryIndex(pos: number): number {
    const { marks } = this.f.header;
    const rel = pos - this.f.bodyStart;
    let k = 0;
    while (k + 1 < marks.length && marks[k + 1]! <= rel) k++;
    let line = k * MARK_EVERY;
    const b = this.f.bytes;
    for (let nl = b.indexOf(10, this.f.bodyStart + marks[k]!); nl >= 0 && nl < pos; nl = b.indexOf(10, nl + 1)) line++;
    return line;
  }

  peek(id: string): Task | undefined {
    return this.find(id)?.row;
  }

  has(id: string): boolean {
    return this.find(id) !== undefined;
  }

  get(id: string): Task | undefined {
    const f = this.find(id);
    if (!f) return undefined;
    return wholeTask(readLine(this.fd, this.spans[2 * f.line]!, this.spans[2 * f.line + 1]!), f.line, id, false);
  }

  /** Ids of tasks whose `after` contains `id`, in file order (as Graph.dependents). */
  dependents(id: string): string[] {
    const quoted = storedText(id);
    const b = this.f.bytes;
    const out: string[] = [];
    let lineEnd = -1;
    for (let at = b.indexOf(quoted, this.f.bodyStart, 'latin1'); at >= 0; at = b.indexOf(quoted, at + quoted.length, 'latin1')) {
      if (at < lineEnd) continue; // a line already checked
      const start = b.lastIndexOf(10, at) + 1;
      lineEnd = b.indexOf(10, at);
      if (lineEnd < 0) lineEnd = b.length;
      const row = this.entryAt(start);
      if (row !== null && typeof row === 'object' && (row.after ?? []).includes(id) && !out.includes(row.id)) out.push(row.id);
    }
    return out;
  }
}
