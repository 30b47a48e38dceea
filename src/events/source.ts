/**
 * THE event source (docs/events.md): what happened in a workgraph, as one ordered stream, for
 * `wg watch`, `wg tui`, `wg serve` and anything else that follows a graph.
 *
 * Two append-only files feed it, each written by one kind of writer:
 *   - `log/operations.jsonl`: every graph mutation (any `wg` process, the service included),
 *     appended under the graph lock; rotated to `operations.<stamp>.jsonl` past 10 MB;
 *   - `service/events.jsonl`: the service's typed events (service/event-log.ts); rotated the same way.
 * Works with and without the service running (without it, the second file just does not grow).
 *
 * The cursor is a position in each file (inode + byte offset after the last line consumed), so a
 * reader that stores the cursor of the last event it handled resumes exactly after it: nothing
 * missed, nothing repeated, across rotations (a rotated file is found again by its inode) and
 * restarts of the reader. Only complete lines are consumed (a line being appended waits).
 * The two files are merged in timestamp order, each file's own order kept.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { eventFromOperation, eventFromServiceRecord, type CursoredEvent, type EventSourceName, type WgEvent } from '../core/events.js';
import type { WgPaths } from '../store/paths.js';

export type { CursoredEvent, WgEvent, EventKind } from '../core/events.js';

/** A position in one source: the file's inode ('0': the file did not exist yet) and a byte offset. */
export interface FilePos {
  ino: string;
  off: number;
}

export interface Cursor {
  graph: FilePos;
  service: FilePos;
}

const CURSOR_RE = /^c1\.(\d+)\.(\d+)\.(\d+)\.(\d+)$/;

/** `c1.<ops inode>.<ops offset>.<service inode>.<service offset>`: opaque to users, stable across versions with the prefix. */
export function encodeCursor(c: Cursor): string {
  return `c1.${c.graph.ino}.${c.graph.off}.${c.service.ino}.${c.service.off}`;
}

export function parseCursor(s: string): Cursor | undefined {
  const m = CURSOR_RE.exec(s.trim());
  if (!m) return undefined;
  return { graph: { ino: m[1]!, off: Number(m[2]) }, service: { ino: m[3]!, off: Number(m[4]) } };
}

export const isCursor = (s: string): boolean => CURSOR_RE.test(s.trim());

interface SourceSpec {
  name: EventSourceName;
  dir: string;
  /** `operations` → operations.jsonl, rotated operations.<stamp>.jsonl */
  base: string;
  parse: (raw: unknown) => WgEvent | undefined;
}

/** The two files the stream is read from. */
export function sourceFiles(paths: WgPaths): { graph: string; service: string } {
  return { graph: paths.operations, service: paths.serviceEvents };
}

function specs(paths: WgPaths): SourceSpec[] {
  return [
    { name: 'graph', dir: paths.logDir, base: 'operations', parse: eventFromOperation },
    { name: 'service', dir: paths.serviceDir, base: 'events', parse: eventFromServiceRecord },
  ];
}

interface FileRef {
  path: string;
  ino: string;
  size: number;
}

/** The source's files, oldest first: rotated ones by their stamp, then the current one. */
function listFiles(spec: SourceSpec): FileRef[] {
  let names: string[];
  try {
    names = readdirSync(spec.dir);
  } catch {
    return [];
  }
  const rotated = names.filter((n) => n.startsWith(`${spec.base}.`) && n.endsWith('.jsonl') && n !== `${spec.base}.jsonl`).sort();
  const out: FileRef[] = [];
  for (const n of [...rotated, `${spec.base}.jsonl`]) {
    try {
      const st = statSync(join(spec.dir, n), { bigint: true });
      out.push({ path: join(spec.dir, n), ino: st.ino.toString(), size: Number(st.size) });
    } catch {
      // gone between readdir and stat (rotated away): the next read finds it by inode
    }
  }
  return out;
}

interface RawLine {
  event: WgEvent | undefined;
  /** Position just after this line. */
  end: FilePos;
}

const MAX_READ = 64 * 1024 * 1024;

/** Complete lines of `f` from `off`, verified to be the same file (inode) when opened. */
function readLines(spec: SourceSpec, f: FileRef, off: number, out: RawLine[]): { off: number; sameFile: boolean } {
  let fd: number;
  try {
    fd = openSync(f.path, 'r');
  } catch {
    return { off, sameFile: false };
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (st.ino.toString() !== f.ino) return { off, sameFile: false };
    const size = Number(st.size);
    if (size <= off) return { off, sameFile: true };
    const len = Math.min(size - off, MAX_READ);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, off + got);
      if (n <= 0) break;
      got += n;
    }
    let start = 0;
    for (let i = 0; i < got; i++) {
      if (buf[i] !== 0x0a) continue;
      const text = buf.toString('utf8', start, i).trim();
      start = i + 1;
      let event: WgEvent | undefined;
      if (text) {
        try {
          event = spec.parse(JSON.parse(text));
        } catch {
          event = undefined; // a torn or foreign line is skipped, never fatal
        }
      }
      out.push({ event, end: { ino: f.ino, off: off + start } });
    }
    return { off: off + start, sameFile: true };
  } finally {
    closeSync(fd);
  }
}

/** New complete lines of one source after `pos`, following rotations by inode. */
function readSource(spec: SourceSpec, pos: FilePos): { lines: RawLine[]; pos: FilePos } {
  const files = listFiles(spec);
  const lines: RawLine[] = [];
  if (!files.length) return { lines, pos };
  let i = files.findIndex((f) => f.ino === pos.ino);
  let off = pos.off;
  // Never seen (the file did not exist) or gone entirely: from the oldest file still there.
  if (i < 0) {
    i = 0;
    off = 0;
  } else if (files[i]!.size < off) off = 0; // rewritten shorter (not an append-only file any more): from its start
  let cur: FilePos = pos;
  for (; i < files.length; i++) {
    const f = files[i]!;
    const r = readLines(spec, f, off, lines);
    if (!r.sameFile) break; // rotated under us: the next read continues by inode
    cur = { ino: f.ino, off: r.off };
    off = 0;
    // A partial last line in a rotated file can never complete: it is skipped with the file.
  }
  return { lines, pos: cur };
}

const tsMs = (e: WgEvent | undefined): number => (e ? Date.parse(e.ts) : -Infinity);

export interface ReaderOptions {
  /** Where to start: a cursor (string or parsed), 'start' (all history kept), 'end' (only what comes next; default), or a time (events at or after it). */
  from?: string | Cursor | 'start' | 'end' | Date;
}

/** The position at the end of each source now (what 'end' means). */
export function cursorAtEnd(paths: WgPaths): Cursor {
  const end = (spec: SourceSpec): FilePos => {
    const files = listFiles(spec);
    const last = files[files.length - 1];
    return last ? { ino: last.ino, off: last.size } : { ino: '0', off: 0 };
  };
  const [g, s] = specs(paths);
  return { graph: end(g!), service: end(s!) };
}

const START: Cursor = { graph: { ino: '0', off: 0 }, service: { ino: '0', off: 0 } };

/**
 * Reads the stream from a cursor. `read()` returns what was appended since (both sources
 * merged by time), each event with the cursor that resumes right after it; `follow()` keeps
 * reading as the files change (fs.watch on their directories, a poll as the fallback).
 */
export class EventReader {
  private pos: Cursor;
  private readonly notBefore: number | undefined;
  private readonly specs: SourceSpec[];

  constructor(
    readonly paths: WgPaths,
    opts: ReaderOptions = {},
  ) {
    this.specs = specs(paths);
    const from = opts.from ?? 'end';
    if (from instanceof Date) {
      this.pos = START;
      this.notBefore = from.getTime();
    } else if (from === 'start') this.pos = START;
    else if (from === 'end') this.pos = cursorAtEnd(paths);
    else if (typeof from === 'string') {
      const c = parseCursor(from);
      if (!c) throw new Error(`not an event cursor: '${from}'`);
      this.pos = c;
    } else this.pos = from;
  }

  /** The cursor after everything read so far. */
  get cursor(): string {
    return encodeCursor(this.pos);
  }

  /** Everything appended since the cursor, in time order; advances the cursor. */
  read(): CursoredEvent[] {
    const [gs, ss] = this.specs as [SourceSpec, SourceSpec];
    const g = readSource(gs, this.pos.graph);
    const s = readSource(ss, this.pos.service);
    const out: CursoredEvent[] = [];
    let gi = 0;
    let si = 0;
    let gp = this.pos.graph;
    let sp = this.pos.service;
    while (gi < g.lines.length || si < s.lines.length) {
      const gl = g.lines[gi];
      const sl = s.lines[si];
      // Lines that are not events advance their source silently.
      if (gl && !gl.event) {
        gp = gl.end;
        gi++;
        continue;
      }
      if (sl && !sl.event) {
        sp = sl.end;
        si++;
        continue;
      }
      const takeGraph = gl && (!sl || tsMs(gl.event) <= tsMs(sl.event));
      const line = takeGraph ? gl! : sl!;
      if (takeGraph) {
        gp = line.end;
        gi++;
      } else {
        sp = line.end;
        si++;
      }
      const e = line.event!;
      if (this.notBefore !== undefined && tsMs(e) < this.notBefore) continue;
      out.push({ ...e, cursor: encodeCursor({ graph: gp, service: sp }) });
    }
    this.pos = { graph: g.pos, service: s.pos };
    return out;
  }

  /**
   * Calls `onEvent` for every event from the cursor on, then for each new one as it is
   * appended, until `signal` aborts. Wakes on fs.watch of the sources' directories (an event
   * shows within milliseconds) and polls every `pollMs` as the fallback (network file
   * systems, a directory created later).
   */
  follow(onEvent: (e: CursoredEvent) => void, opts: { signal?: AbortSignal; pollMs?: number } = {}): Promise<void> {
    const pollMs = opts.pollMs ?? 250;
    const watchers = new Map<string, FSWatcher>();
    let scheduled = false;
    let stopped = false;
    const drain = (): void => {
      scheduled = false;
      if (stopped) return;
      for (const e of this.read()) onEvent(e);
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(drain);
    };
    const watchDirs = (): void => {
      for (const d of [this.paths.dir, this.paths.logDir, this.paths.serviceDir]) {
        if (watchers.has(d)) continue;
        try {
          const w = watch(d, { persistent: true }, schedule);
          w.on('error', () => {
            w.close();
            watchers.delete(d);
          });
          watchers.set(d, w);
        } catch {
          // not there yet: the poll tries again
        }
      }
    };
    return new Promise<void>((resolve) => {
      const stop = (): void => {
        stopped = true;
        clearInterval(timer);
        for (const w of watchers.values()) w.close();
        watchers.clear();
        resolve();
      };
      const timer = setInterval(() => {
        watchDirs();
        drain();
      }, pollMs);
      watchDirs();
      drain();
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener('abort', stop, { once: true });
    });
  }
}

/** Convenience: every event from `from` to now. */
export function readEvents(paths: WgPaths, from: ReaderOptions['from'] = 'start'): CursoredEvent[] {
  return new EventReader(paths, { from }).read();
}
