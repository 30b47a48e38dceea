/**
 * Connecting to the PostgreSQL store: one pool per process, errors a user can act on, and the
 * database clock. Leases are stamped with now() in SQL; everything else a host computes with a
 * timestamp (log entries, started_at, time gates) uses the database's clock too, read once at
 * connect and re-read with every transaction (`DbClock`), so hosts whose clocks disagree still
 * agree on time.
 */
import pg from 'pg';
import { WgError } from '../../core/errors.js';
import type { Clock } from '../../core/time.js';
import { LATEST_SCHEMA } from './migrations.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** int8 (seq, version, counts) as a JS number: our values stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

export interface PoolOptions {
  max?: number;
  /** application_name, visible in pg_stat_activity (host id, service or CLI). */
  name?: string;
  /** A one-shot CLI: idle connections do not keep the process alive. */
  exitOnIdle?: boolean;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function openPool(url: string, opts: PoolOptions = {}): Pool {
  try {
    new URL(url);
  } catch {
    throw new WgError('invalid_config', `store URL '${redactUrl(url)}' is not a URL`, { hint: 'expected postgres://USER:PASSWORD@HOST:PORT/DATABASE' });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    types,
    application_name: opts.name ?? 'wg',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: !!opts.exitOnIdle,
  });
  // An idle client that loses its server (a restart) must not crash the process: the next
  // checkout gets a fresh connection.
  pool.on('error', () => undefined);
  // Nor a client that is checked out (in a transaction, or between two queries of one) when its
  // server goes: node-postgres then emits 'error' on the client itself, which with no listener
  // ends the process. The query in flight rejects on its own; the client is discarded on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/** Errors that mean "the server is (momentarily) unreachable": worth a reconnect and retry. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  // 28xxx: authentication; 3D000: no such database — the URL is wrong, not the request.
  if (code.startsWith('28') || code === '3D000') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(code)) return true;
  const m = err?.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(m);
}

/** Serialization failures and deadlocks: retry the transaction. */
export const isRetryable = (e: unknown): boolean => ['40001', '40P01'].includes((e as { code?: string })?.code ?? '');

export function unavailable(url: string, e: unknown): WgError {
  return new WgError('store_unavailable', `cannot reach the PostgreSQL store at ${redactUrl(url)}: ${(e as Error).message || String(e)}`, {
    hint: 'is the server running? check [store] url in .wg/config.toml or $WG_STORE_URL',
  });
}

/**
 * The database's clock as seen from this host: local time plus the offset measured at the last
 * round trip (half the round trip is the error bound; on a LAN, well under a millisecond).
 */
export class DbClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly host: Clock) {}
  observe(dbNow: Date, sentAtMs: number, receivedAtMs: number): void {
    this.offsetMs = dbNow.getTime() - (sentAtMs + receivedAtMs) / 2;
  }
  now(): Date {
    return new Date(this.host.now().getTime() + this.offsetMs);
  }
  get offset(): number {
    return this.offsetMs;
  }
}

/**
 * Checks the schema is there and not newer than this wg; reads the clock on the way. One round
 * trip: every command pays it once.
 */
export async function checkSchema(pool: Pool, url: string, clock: DbClock, hostNow: () => number): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw unavailable(url, e);
  }
  // Timed after the connection is made, so the offset's error is half of one query's round trip.
  const sent = hostNow();
  let row: { now: Date; version: number | null };
  try {
    row = (await client.query<{ now: Date; version: number | null }>(`SELECT now() AS now, (SELECT max(version) FROM wg_schema_migrations) AS version`)).rows[0]!;
  } catch (e) {
    if ((e as { code?: string }).code !== '42P01') throw unavailable(url, e);
    row = { now: new Date(), version: null }; // no migrations table: no schema
  } finally {
    client.release();
  }
  clock.observe(row.now, sent, hostNow());
  if (row.version === null) {
    throw new WgError('store_schema', `the PostgreSQL store at ${redactUrl(url)} has no workgraph schema`, { hint: "run 'wg store migrate' once to create it" });
  }
  if (row.version > LATEST_SCHEMA) {
    throw new WgError('store_schema', `the PostgreSQL store at ${redactUrl(url)} has schema version ${row.version}, newer than this wg knows (${LATEST_SCHEMA})`, { hint: 'upgrade wg on this host' });
  }
  if (row.version < LATEST_SCHEMA) {
    throw new WgError('store_schema', `the PostgreSQL store at ${redactUrl(url)} has schema version ${row.version}; this wg needs ${LATEST_SCHEMA}`, { hint: "run 'wg store migrate' to upgrade it" });
  }
}
