/**
 * The agent registry and the service registrations in PostgreSQL, shared by every host.
 *
 * - `read()` gives the registry in the file's shape (`service/registry.json`), so the one
 *   liveness rule (core/liveness.ts) judges it unchanged. `started_at` and `last_heartbeat` are
 *   the database's stamps (now() at insert, heartbeat and renewal), and the service judges them
 *   against the database's clock — never a host's.
 * - `update(fn)` is the registry's read-modify-write, serialized across hosts by an advisory
 *   lock (as the file's flock serializes one host's writers): agent ids come from one counter
 *   and are never handed out twice.
 * - `heartbeat`/`renew` stamp leases without that lock (one row each).
 * - `services`: each service registers its host id with a lease it renews every tick.
 */
import { isAliveStatus, type AgentRecord, type Registry } from '../registry.js';
import type { Pool, PoolClient } from './connect.js';
import { LOCK_KEYS } from './migrate.js';

interface AgentRow {
  id: string;
  host: string;
  status: string;
  task_id: string | null;
  claim_epoch: number | null;
  record: string;
  started_at: Date;
  last_heartbeat: Date;
}

/** Fields kept in columns (authoritative); the rest of the record is its JSON text. */
const COLUMN_FIELDS = ['id', 'host', 'status', 'task_id', 'claim_epoch', 'started_at', 'last_heartbeat'] as const;

function toRecord(r: AgentRow): AgentRecord {
  const rest = JSON.parse(r.record) as Record<string, unknown>;
  return {
    ...rest,
    id: r.id,
    host: r.host,
    status: r.status as AgentRecord['status'],
    task_id: r.task_id ?? '',
    ...(r.claim_epoch !== null ? { claim_epoch: r.claim_epoch } : {}),
    started_at: r.started_at.toISOString(),
    last_heartbeat: r.last_heartbeat.toISOString(),
  } as AgentRecord;
}

function restOf(a: AgentRecord): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (!(COLUMN_FIELDS as readonly string[]).includes(k) && v !== undefined) rest[k] = v;
  return JSON.stringify(rest);
}

export interface ServiceRow {
  host: string;
  pid: number | null;
  started_at: string;
  last_seen: string;
  alive: boolean;
  info: Record<string, unknown>;
}

export class PgRegistry {
  constructor(
    private readonly pool: Pool,
    /** This host's id: new agents are registered under it. */
    readonly host: string,
  ) {}

  private static async rows(c: Pool | PoolClient, lock = ''): Promise<{ registry: Registry; now: Date }> {
    const res = (await c.query(
      `SELECT now() AS now, next_agent_id FROM wg_state;
       SELECT id, host, status, task_id, claim_epoch, record, started_at, last_heartbeat FROM wg_agents ORDER BY started_at, id ${lock}`,
    )) as unknown as [{ rows: Array<{ now: Date; next_agent_id: number }> }, { rows: AgentRow[] }];
    const agents: Record<string, AgentRecord> = {};
    for (const r of res[1].rows) agents[r.id] = toRecord(r);
    return { registry: { agents, next_agent_id: res[0].rows[0]!.next_agent_id }, now: res[0].rows[0]!.now };
  }

  /** The registry as every host sees it, and the database's time of the read. */
  async read(): Promise<{ registry: Registry; now: Date }> {
    return PgRegistry.rows(this.pool);
  }

  /**
   * Read-modify-write of the registry (the file store's `updateRegistry`), one host at a time.
   * A record `fn` adds or changes is written back; one it deletes is removed; a changed
   * `last_heartbeat` is stamped now() (database time), whatever `fn` wrote.
   */
  async update<R>(fn: (reg: Registry) => R): Promise<R> {
    return (await this.updateWith(fn)).result;
  }

  /** `update`, also giving the registry as written (the service keeps it as its copy). */
  async updateWith<R>(fn: (reg: Registry) => R): Promise<{ result: R; registry: Registry }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK_KEYS.registry]);
      const { registry } = await PgRegistry.rows(client);
      const before = new Map(Object.values(registry.agents).map((a) => [a.id, JSON.stringify(a)]));
      const beforeHb = new Map(Object.values(registry.agents).map((a) => [a.id, a.last_heartbeat]));
      const nextBefore = registry.next_agent_id;
      const result = fn(registry);
      for (const a of Object.values(registry.agents)) {
        const old = before.get(a.id);
        if (old === JSON.stringify(a)) continue;
        if (old === undefined) {
          await client.query(
            `INSERT INTO wg_agents (id, host, status, task_id, claim_epoch, record, lease_expires) VALUES ($1, $2, $3, $4, $5, $6, now())`,
            [a.id, a.host ?? this.host, a.status, a.task_id || null, a.claim_epoch ?? null, restOf(a)],
          );
        } else {
          await client.query(
            `UPDATE wg_agents SET host = $2, status = $3, task_id = $4, claim_epoch = $5, record = $6,
                    last_heartbeat = CASE WHEN $7 THEN now() ELSE last_heartbeat END
              WHERE id = $1`,
            [a.id, a.host ?? this.host, a.status, a.task_id || null, a.claim_epoch ?? null, restOf(a), a.last_heartbeat !== beforeHb.get(a.id)],
          );
        }
      }
      const gone = [...before.keys()].filter((id) => !(id in registry.agents));
      if (gone.length) await client.query('DELETE FROM wg_agents WHERE id = ANY($1::text[])', [gone]);
      if (registry.next_agent_id !== nextBefore) await client.query('UPDATE wg_state SET next_agent_id = $1', [registry.next_agent_id]);
      await client.query('COMMIT');
      return { result, registry };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** `wg heartbeat`: the agent's lease, stamped now(). False when the agent is unknown. */
  async heartbeat(agentId: string): Promise<boolean> {
    const r = await this.pool.query(`UPDATE wg_agents SET last_heartbeat = now() WHERE id = $1 AND status IN ('starting', 'working')`, [agentId]);
    return (r.rowCount ?? 0) > 0;
  }

  /** The service renews the leases of the live agents it supervises (one statement per tick). */
  async renew(agentIds: string[]): Promise<number> {
    if (!agentIds.length) return 0;
    const r = await this.pool.query(`UPDATE wg_agents SET last_heartbeat = now() WHERE id = ANY($1::text[]) AND host = $2 AND status IN ('starting', 'working')`, [agentIds, this.host]);
    return r.rowCount ?? 0;
  }

  /** Registers (or renews) this host's service with a lease of `leaseMs`. */
  async registerService(pid: number, leaseMs: number, info: Record<string, unknown> = {}): Promise<void> {
    await this.pool.query(
      `INSERT INTO wg_services (host, pid, lease_expires, info) VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4)
       ON CONFLICT (host) DO UPDATE SET pid = EXCLUDED.pid, last_seen = now(), lease_expires = EXCLUDED.lease_expires, info = EXCLUDED.info,
         started_at = CASE WHEN wg_services.pid IS DISTINCT FROM EXCLUDED.pid THEN now() ELSE wg_services.started_at END`,
      [this.host, pid, leaseMs, JSON.stringify(info)],
    );
  }

  async unregisterService(): Promise<void> {
    await this.pool.query('DELETE FROM wg_services WHERE host = $1', [this.host]);
  }

  /** Every registered service, alive while its lease runs (judged by the database). */
  async services(): Promise<ServiceRow[]> {
    const r = await this.pool.query<{ host: string; pid: number | null; started_at: Date; last_seen: Date; alive: boolean; info: string | null }>(
      `SELECT host, pid, started_at, last_seen, lease_expires > now() AS alive, info FROM wg_services ORDER BY host`,
    );
    return r.rows.map((s) => ({ host: s.host, pid: s.pid, started_at: s.started_at.toISOString(), last_seen: s.last_seen.toISOString(), alive: s.alive, info: s.info ? (JSON.parse(s.info) as Record<string, unknown>) : {} }));
  }

  /** Agents of this host that the registry says are alive (what a restarted service adopts). */
  async localAlive(): Promise<AgentRecord[]> {
    const { registry } = await this.read();
    return Object.values(registry.agents).filter((a) => a.host === this.host && isAliveStatus(a.status));
  }

  /**
   * Runs `fn` only if no other host is reconciling right now (a session advisory lock on a
   * connection of its own, released after). Undefined when another host holds it.
   */
  async asReconciler<R>(fn: () => Promise<R>): Promise<R | undefined> {
    const client = await this.pool.connect();
    let locked = false;
    try {
      locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [...LOCK_KEYS.reconcile])).rows[0]!.ok;
      if (!locked) return undefined;
      return await fn();
    } finally {
      if (locked) await client.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEYS.reconcile]).catch(() => undefined);
      client.release();
    }
  }

  /** Drops change-feed rows older than `olderThanMs` (the service's housekeeping). */
  async pruneChanges(olderThanMs: number): Promise<number> {
    const r = await this.pool.query(
      `WITH gone AS (DELETE FROM wg_changes WHERE at < now() - $1 * interval '1 millisecond' RETURNING txid)
       UPDATE wg_state SET pruned_below = greatest(pruned_below, (SELECT max(txid) FROM gone)) WHERE EXISTS (SELECT 1 FROM gone)
       RETURNING (SELECT count(*) FROM gone) AS n`,
      [olderThanMs],
    );
    return Number(r.rows[0]?.n ?? 0);
  }
}
