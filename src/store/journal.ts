/**
 * The change journal (`.wg/cache/graph-journal.jsonl`): one line per store write, appended under
 * the graph lock by every writer (CLI and service) *before* the new graph.jsonl is renamed into
 * place. It says which file identity the write started from, which identity the new file has,
 * and the new text of every line it replaced or appended. A long-lived reader (the service,
 * live-graph.ts) that holds the rows of identity A and finds the file at identity C replays the
 * entries A → B → C: the cost of the change, not of a 100k-line parse. Each replayed line is
 * parsed and validated like any other (SPEC §1 rule 6).
 *
 * Anything the journal does not explain — a hand edit, git, the Rust tool, a writer killed
 * between its append and its rename, a torn line, a reader that fell behind a rotation — leaves
 * a chain that does not reach the current identity, and the reader does a full, validated
 * reload. Appending before the rename means that when a reader sees a new identity, the entry
 * that explains it is already complete on disk.
 *
 * Bounded: past JOURNAL_ROTATE_BYTES the file is renamed to `.1` (one generation kept), so a
 * reader at most one rotation behind still catches up. Local state, like the index: git-ignored,
 * not fsynced (losing it only costs a reload).
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_ROTATE_BYTES = 1 << 20;

export interface JournalEntry {
  /** The generation this write produced (the index's `gen`). */
  g: number;
  /** Identity of the file the write read (file-identity.ts). */
  from: string;
  /** Identity of the file it wrote. */
  to: string;
  /** SHA-1 and size of the new file, its line count, and whether it is known acyclic. */
  hash: string;
  size: number;
  n: number;
  acyclic: boolean;
  /** [line index, new text] of every replaced line, then every appended one, ascending. */
  set: Array<[number, string]>;
}

export const journalPath = (wgDir: string): string => join(wgDir, 'cache', 'graph-journal.jsonl');

/** Appends one entry (the graph lock is held). Best effort: a journal that cannot be written only costs readers a reload. */
export function appendJournal(wgDir: string, entry: JournalEntry, rotateBytes = Number(process.env.WG_JOURNAL_ROTATE_BYTES) || JOURNAL_ROTATE_BYTES): void {
  const path = journalPath(wgDir);
  try {
    mkdirSync(join(wgDir, 'cache'), { recursive: true });
    let size = 0;
    let lastByte = 10;
    try {
      const fd = openSync(path, 'r');
      try {
        size = fstatSync(fd).size;
        if (size > 0) {
          const b = Buffer.alloc(1);
          readSync(fd, b, 0, 1, size - 1);
          lastByte = b[0]!;
        }
      } finally {
        closeSync(fd);
      }
    } catch {
      // no journal yet
    }
    if (size >= rotateBytes) {
      renameSync(path, `${path}.1`);
      lastByte = 10;
    }
    // A writer killed mid-append left a torn last line: end it, so this entry stands alone
    // (readers skip a line they cannot parse).
    appendFileSync(path, `${lastByte === 10 ? '' : '\n'}${JSON.stringify(entry)}\n`);
  } catch {
    // read-only cache, full disk: readers fall back to a reload
  }
}

export interface JournalRecord {
  /** Undefined for a line that is not an entry (torn by a killed writer). */
  entry: JournalEntry | undefined;
  /** Where the cursor stands once this entry is consumed. */
  at: { ino: number; offset: number };
}

function isEntry(v: unknown): v is JournalEntry {
  const e = v as JournalEntry;
  return !!e && typeof e === 'object' && typeof e.from === 'string' && typeof e.to === 'string' && typeof e.hash === 'string' && typeof e.n === 'number' && typeof e.size === 'number' && Array.isArray(e.set);
}

/** Complete lines of `path` from `offset` (a torn or still-growing last line is left for later). */
function readFrom(path: string, ino: number, offset: number): JournalRecord[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (st.ino !== ino || st.size < offset) return undefined;
    const buf = Buffer.allocUnsafe(st.size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    const out: JournalRecord[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, 0); nl >= 0 && nl < got; nl = buf.indexOf(10, start)) {
      const line = buf.toString('utf8', start, nl);
      start = nl + 1;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        v = undefined;
      }
      // An unparsable line (torn by a killed writer) is skipped: it explains no file, and the
      // chain check (live-graph.ts) decides whether anything is missing.
      out.push({ entry: isEntry(v) ? v : undefined, at: { ino, offset: offset + start } });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** A reader's place in the journal: (inode, byte offset), surviving one rotation. */
export class JournalCursor {
  private ino = -1;
  private offset = 0;

  constructor(private readonly wgDir: string) {}

  /** Places the cursor at the current end of the journal (call before a full load: entries appended meanwhile are then replayed, or skipped as already seen). */
  seekEnd(): void {
    try {
      const st = statSync(journalPath(this.wgDir));
      this.ino = st.ino;
      this.offset = st.size;
    } catch {
      this.ino = -1;
      this.offset = 0;
    }
  }

  /**
   * Entries appended since the cursor's place, oldest first, or undefined when the cursor lost
   * its place (rotated away twice, or the journal was removed/replaced): the reader reloads.
   */
  read(): JournalRecord[] | undefined {
    const path = journalPath(this.wgDir);
    let ino: number;
    try {
      ino = statSync(path).ino;
    } catch {
      // No journal at all: nothing was appended since a cursor that saw none.
      return this.ino === -1 ? [] : undefined;
    }
    if (ino === this.ino) return readFrom(path, ino, this.offset);
    const out: JournalRecord[] = [];
    let rest: JournalRecord[] = [];
    if (this.ino !== -1) {
      // Rotated since: finish the old file (now `.1`), then read the new one from its start.
      let old: number;
      try {
        old = statSync(`${path}.1`).ino;
      } catch {
        return undefined;
      }
      if (old !== this.ino) return undefined;
      const r = readFrom(`${path}.1`, old, this.offset);
      if (!r) return undefined;
      out.push(...(rest = r));
    }
    const fresh = readFrom(path, ino, 0);
    if (!fresh) return undefined;
    out.push(...fresh);
    // Nothing left in the old file: the cursor moves onto the new one.
    if (!rest.length) {
      this.ino = ino;
      this.offset = 0;
    }
    return out;
  }

  /** Consumes up to and including `r`. */
  commit(r: JournalRecord): void {
    this.ino = r.at.ino;
    this.offset = r.at.offset;
  }
}
