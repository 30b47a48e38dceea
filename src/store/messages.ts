/**
 * Message queues (`wg msg`), in the Rust tool's layout so both tools share them:
 *   .wg/messages/<task>.jsonl              one message per line {id, timestamp, sender, body, priority, status}
 *   .wg/messages/.cursors/<reader>.<task>  the last id <reader> has read ("N\n")
 *   .wg/messages/.delivered/<agent>.<task> the last id the service put in <agent>'s prompt
 *
 * The store's guarantees: a send is an append of one whole line under an exclusive flock of the
 * queue file (the lock the Rust tool takes), fsynced before it is acknowledged; ids are assigned
 * under that lock (max+1), so concurrent senders never share an id and none is lost. A sender
 * killed mid-write leaves at most an unacknowledged partial last line: readers skip it and the
 * next send cuts it off before appending. Cursors are replaced atomically and never move back.
 * Callers that fence (an agent's send) hold the graph lock around the check and the append
 * (`withGraphLock`), so a reclaim cannot slip in between.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WgError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import { formatTimestamp } from '../core/time.js';
import { writeFileDurable } from './atomic-write.js';
import { acquireLock } from './lock.js';
import type { WgPaths } from './paths.js';

interface FsExt {
  flockSync(fd: number, flags: 'ex' | 'exnb' | 'un'): void;
}
let fsExt: FsExt | undefined;
const flock = (): FsExt => (fsExt ??= createRequire(import.meta.url)('fs-ext') as FsExt);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A reader or agent name used in a file name `<reader>.<task>`: no dot (the task id after it may
 * hold dots), no path separator.
 */
export function requireReaderName(name: string): string {
  if (!/^[A-Za-z0-9_@+-]{1,128}$/.test(name)) {
    throw new WgError('invalid_argument', `invalid reader name '${name}'`, { exitCode: 2, hint: 'letters, digits, _ @ + - (an agent id or a user name)' });
  }
  return name;
}

/** A user name as a reader name (`john.doe` → `john_doe`). */
export const readerName = (raw: string): string => raw.replace(/[^A-Za-z0-9_@+-]/g, '_').slice(0, 128) || 'user';

/** Runs `fn` holding the graph lock (what the store's writers take), released whatever happens. */
export async function withGraphLock<R>(paths: WgPaths, fn: () => R | Promise<R>): Promise<R> {
  const lock = await acquireLock(paths.lock);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * A task id as a file name component. Ids this tool creates are always safe; ids a graph written
 * by another tool holds are used as long as they cannot leave the directory.
 */
function pathSafeId(id: string): string {
  if (!id || id === '.' || id === '..' || /[/\\\0]/.test(id) || id.length > 255) throw new WgError('invalid_argument', `task id '${id}' cannot name a message queue`, { exitCode: 2 });
  return id;
}

export class MessageStore {
  readonly dir: string;

  constructor(paths: WgPaths) {
    this.dir = join(paths.dir, 'messages');
  }

  private file(taskId: string): string {
    return join(this.dir, `${pathSafeId(taskId)}.jsonl`);
  }

  /** Every complete message of the task, by id. A line that is not a message is an error naming it. */
  list(taskId: string): Message[] {
    const path = this.file(taskId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // Only newline-terminated lines are messages: a partial last line is a send in flight (or
    // one that died before it was acknowledged).
    const end = text.lastIndexOf('\n');
    const lines = end < 0 ? [] : text.slice(0, end).split('\n');
    const out: Message[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch (e) {
        throw new WgError('corrupt_graph', `${path}:${i + 1}: invalid JSON (${(e as Error).message})`, { hint: 'fix or remove that line' });
      }
      const r = m as Partial<Message>;
      if (!r || typeof r !== 'object' || typeof r.id !== 'number' || typeof r.body !== 'string' || typeof r.sender !== 'string') {
        throw new WgError('corrupt_graph', `${path}:${i + 1}: not a message (needs numeric id, sender, body)`, { hint: 'fix or remove that line' });
      }
      out.push(r as Message);
    });
    return out.sort((a, b) => a.id - b.id);
  }

  /** Tasks that have a queue. */
  tasks(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith('.jsonl'))
        .map((n) => n.slice(0, -'.jsonl'.length));
    } catch {
      return [];
    }
  }

  /** Appends one message (id = max + 1) and returns it once it is durable. */
  async send(taskId: string, input: { sender: string; body: string; priority?: string }, now: Date): Promise<Message> {
    mkdirSync(this.dir, { recursive: true });
    const path = this.file(taskId);
    const fd = openSync(path, 'a+', 0o644);
    try {
      await lockFd(fd, path);
      const bytes = readAll(fd);
      let valid = bytes.length;
      if (valid && bytes[valid - 1] !== 0x0a) {
        // A partial line left by a sender killed mid-write (never acknowledged): cut it off.
        valid = bytes.lastIndexOf(0x0a) + 1;
        ftruncateSync(fd, valid);
      }
      let max = 0;
      for (const line of bytes.subarray(0, valid).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const id = (JSON.parse(line) as { id?: unknown }).id;
          if (typeof id === 'number' && id > max) max = id;
        } catch {
          // list() reports a malformed line; the id sequence only needs the readable ones
        }
      }
      const msg: Message = { id: max + 1, timestamp: formatTimestamp(now), sender: input.sender, body: input.body, priority: input.priority ?? 'normal', status: 'sent' };
      const line = Buffer.from(JSON.stringify(msg) + '\n', 'utf8');
      // O_APPEND: the line lands at the end, after anything a writer that ignores the lock wrote.
      for (let off = 0; off < line.length; ) off += writeSync(fd, line, off, line.length - off);
      fsyncSync(fd);
      return msg;
    } finally {
      closeSync(fd); // also drops the flock
    }
  }

  private cursorPath(kind: '.cursors' | '.delivered', reader: string, taskId: string): string {
    return join(this.dir, kind, `${requireReaderName(reader)}.${pathSafeId(taskId)}`);
  }

  private readMark(path: string): number {
    try {
      const n = Number(readFileSync(path, 'utf8').trim());
      return Number.isInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  private writeMark(path: string, n: number): void {
    if (n <= this.readMark(path)) return; // never moves back
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileDurable(path, `${n}\n`);
  }

  /** The last id `reader` has read on the task (0: none). */
  cursor(reader: string, taskId: string): number {
    return this.readMark(this.cursorPath('.cursors', reader, taskId));
  }

  setCursor(reader: string, taskId: string, id: number): void {
    this.writeMark(this.cursorPath('.cursors', reader, taskId), id);
  }

  /** Unread messages for `reader`; with `advance`, marks them read (moves the cursor). */
  unread(taskId: string, reader: string, advance: boolean): Message[] {
    const cursor = this.cursor(reader, taskId);
    const out = this.list(taskId).filter((m) => m.id > cursor);
    if (advance && out.length) this.setCursor(reader, taskId, out[out.length - 1]!.id);
    return out;
  }

  /** The service put messages up to `id` into `agent`'s prompt: delivered, and read for it. */
  markDelivered(agent: string, taskId: string, id: number): void {
    this.writeMark(this.cursorPath('.delivered', agent, taskId), id);
    this.setCursor(agent, taskId, id);
  }

  /** Who has read / been delivered what on this task: reader → last id. */
  marks(taskId: string): { read: Map<string, number>; delivered: Map<string, number> } {
    const suffix = `.${pathSafeId(taskId)}`;
    const scan = (kind: '.cursors' | '.delivered'): Map<string, number> => {
      const out = new Map<string, number>();
      const dir = join(this.dir, kind);
      if (!existsSync(dir)) return out;
      for (const name of readdirSync(dir)) {
        if (!name.endsWith(suffix)) continue;
        const reader = name.slice(0, -suffix.length);
        if (!reader || reader.includes('.')) continue; // reader names hold no dot: this is another task's mark
        out.set(reader, this.readMark(join(dir, name)));
      }
      return out;
    };
    return { read: scan('.cursors'), delivered: scan('.delivered') };
  }
}

async function lockFd(fd: number, path: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    try {
      flock().flockSync(fd, 'exnb');
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw new WgError('io', `cannot lock ${path}: ${(e as Error).message}`);
      if (Date.now() >= deadline) throw new WgError('lock_timeout', `timed out waiting for ${path}`, { hint: 'another process holds the message queue lock' });
      await sleep(delay + Math.random() * delay);
    }
  }
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  for (let off = 0; off < size; ) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf;
}
