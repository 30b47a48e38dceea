/**
 * The event stream of a PostgreSQL project (`wg watch`): every host's graph events, read from
 * `wg_operations` (what log/operations.jsonl holds for a JSONL project) in `seq` order, woken by
 * LISTEN wg_changed (every write NOTIFYs), with a poll as a safety net. The cursor is the last
 * `seq` handed out (`p1.<seq>`), so a restarted watch resumes after it. Each host's service
 * events stay in its own service/events.jsonl and are not part of this stream.
 *
 * A `seq` is drawn when a row is inserted, not when it commits: a transaction that drew a lower
 * seq can commit after a higher one is visible. A follower therefore holds back at a gap for a
 * moment (writes commit in the round trip that inserts them) before passing it: an identity value
 * a rolled-back transaction drew never appears.
 */
import { eventFromOperation, type CursoredEvent } from '../core/events.js';
import type { Pool } from '../store/pg/connect.js';
import { listen } from '../store/pg/listen.js';

const CURSOR_RE = /^p1\.(\d+)$/;
export const isPgCursor = (s: string): boolean => CURSOR_RE.test(s.trim());

/** How long a follower waits for a missing seq to commit before passing it. */
const GAP_WAIT_MS = 2000;

export class PgEventReader {
  private last = 0;
  private gapSince: number | undefined;

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
    private readonly notBefore: number | undefined,
  ) {}

  /** `from`: 'start', 'end', a time (events at or after it) or a cursor (`p1.N`). */
  static async open(pool: Pool, url: string, from: 'start' | 'end' | Date | string): Promise<PgEventReader> {
    const r = new PgEventReader(pool, url, from instanceof Date ? from.getTime() : undefined);
    if (from === 'end') r.last = Number((await pool.query<{ n: string }>('SELECT coalesce(max(seq), 0) AS n FROM wg_operations')).rows[0]!.n);
    else if (typeof from === 'string' && from !== 'start') {
      const m = CURSOR_RE.exec(from.trim());
      if (!m) throw new Error(`not an event cursor of a PostgreSQL project: '${from}' (they look like p1.123)`);
      r.last = Number(m[1]);
    }
    return r;
  }

  get cursor(): string {
    return `p1.${this.last}`;
  }

  /** What committed after the cursor; advances it. `holdGaps`: stop before a fresh gap in seq. */
  async read(holdGaps = false): Promise<CursoredEvent[]> {
    const rows = (await this.pool.query<{ seq: string; record: string }>('SELECT seq, record FROM wg_operations WHERE seq > $1 ORDER BY seq LIMIT 10000', [this.last])).rows;
    const out: CursoredEvent[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (holdGaps && seq !== this.last + 1) {
        this.gapSince ??= Date.now();
        if (Date.now() - this.gapSince < GAP_WAIT_MS) break;
      }
      this.gapSince = undefined;
      this.last = seq;
      let raw: unknown;
      try {
        raw = JSON.parse(row.record);
      } catch {
        continue;
      }
      const e = eventFromOperation(raw);
      if (!e) continue;
      if (this.notBefore !== undefined && Date.parse(e.ts) < this.notBefore) continue;
      out.push({ ...e, cursor: `p1.${seq}` });
    }
    return out;
  }

  /** Hands out events as they commit until `signal` aborts. */
  async follow(onEvent: (e: CursoredEvent) => void, opts: { signal?: AbortSignal; pollMs?: number } = {}): Promise<void> {
    let wake: (() => void) | undefined;
    const listener = listen(this.url, () => wake?.(), { name: 'wg watch' });
    try {
      while (!opts.signal?.aborted) {
        for (const e of await this.read(true)) onEvent(e);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.gapSince !== undefined ? 100 : (opts.pollMs ?? 1000));
          wake = () => (clearTimeout(t), resolve());
          opts.signal?.addEventListener('abort', wake, { once: true });
        });
        wake = undefined;
      }
    } finally {
      await listener.close();
    }
  }
}
