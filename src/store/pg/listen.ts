/**
 * LISTEN/NOTIFY: every write transaction ends with `NOTIFY wg_changed` (delivered at commit, to
 * every host), so a service wakes on any change anywhere, as the JSONL service wakes on a change
 * to graph.jsonl; the poll stays as a safety net. The listening connection is its own; when it
 * drops (a server restart), it reconnects with back-off and wakes the service once, since
 * notifications sent meanwhile were lost.
 */
import pg from 'pg';

export const CHANGE_CHANNEL = 'wg_changed';

export interface Listener {
  close(): Promise<void>;
  readonly connected: boolean;
}

export function listen(url: string, onChange: () => void, opts: { onState?: (state: 'connected' | 'lost', error?: string) => void; name?: string } = {}): Listener {
  let client: pg.Client | undefined;
  let closed = false;
  let connected = false;
  let delay = 100;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, application_name: opts.name ?? 'wg listen' });
    client = c;
    c.on('notification', (n) => {
      if (n.channel === CHANGE_CHANNEL) onChange();
    });
    const lost = (e?: unknown): void => {
      if (client !== c || closed) return;
      client = undefined;
      if (connected) opts.onState?.('lost', e ? (e as Error).message : 'connection ended');
      connected = false;
      c.end().catch(() => undefined);
      timer = setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 5000);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      connected = true;
      delay = 100;
      opts.onState?.('connected');
      onChange(); // whatever happened while we were not listening
    } catch (e) {
      lost(e);
    }
  };
  void connect();
  return {
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
