/**
 * Message queues on PostgreSQL (`wg msg`; the JSONL store keeps them in .wg/messages, see
 * store/messages.ts): every host's agents and users see the same queues. The same guarantees:
 * ids per task without a gap (the task's advisory lock, max + 1, one transaction), a send is
 * acknowledged once committed, cursors never move back. An agent's send is fenced on the row of
 * its task read `FOR SHARE` in the same transaction, so a reclaim cannot slip in between the
 * check and the insert (the JSONL side holds the graph lock around both).
 */
import type { Message } from '../../core/messages.js';
import { checkFence, type Actor } from '../../core/plan.js';
import { formatTimestamp } from '../../core/time.js';
import { parseTaskLine } from '../graph-file.js';
import type { Pool } from './connect.js';

/** The async surface both stores offer the commands and the service. */
export interface MessageQueues {
  list(taskId: string): Promise<Message[]>;
  send(taskId: string, input: { sender: string; body: string; priority?: string }, now: Date, fence?: Actor): Promise<Message>;
  unread(taskId: string, reader: string, advance: boolean): Promise<Message[]>;
  marks(taskId: string): Promise<{ read: Map<string, number>; delivered: Map<string, number> }>;
  markDelivered(agent: string, taskId: string, id: number): Promise<void>;
}

export class PgMessages implements MessageQueues {
  constructor(private readonly pool: Pool) {}

  async list(taskId: string): Promise<Message[]> {
    const r = await this.pool.query<{ message: string }>('SELECT message FROM wg_messages WHERE task_id = $1 ORDER BY id', [taskId]);
    return r.rows.map((x) => JSON.parse(x.message) as Message);
  }

  async send(taskId: string, input: { sender: string; body: string; priority?: string }, now: Date, fence?: Actor): Promise<Message> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      if (fence?.agentId && fence.fenceTaskId) {
        const own = (await c.query<{ line: string; seq: number }>(`SELECT line, seq FROM wg_nodes WHERE id = $1 AND kind = 'task' FOR SHARE`, [fence.fenceTaskId])).rows[0];
        if (own) checkFence(parseTaskLine(own.line, own.seq, 'wg_nodes seq'), fence);
      }
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('wg_messages'), hashtext($1))`, [taskId]);
      const next = Number((await c.query<{ n: number }>('SELECT coalesce(max(id), 0) + 1 AS n FROM wg_messages WHERE task_id = $1', [taskId])).rows[0]!.n);
      const msg: Message = { id: next, timestamp: formatTimestamp(now), sender: input.sender, body: input.body, priority: input.priority ?? 'normal', status: 'sent' };
      await c.query('INSERT INTO wg_messages (task_id, id, message) VALUES ($1, $2, $3)', [taskId, next, JSON.stringify(msg)]);
      // Wakes every host's service (a task parked until a message resumes on its next tick).
      await c.query('NOTIFY wg_changed; COMMIT');
      return msg;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async mark(kind: 'read' | 'delivered', reader: string, taskId: string, id: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO wg_message_marks (kind, reader, task_id, last_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, reader, task_id) DO UPDATE SET last_id = greatest(wg_message_marks.last_id, EXCLUDED.last_id)`,
      [kind, reader, taskId, id],
    );
  }

  async unread(taskId: string, reader: string, advance: boolean): Promise<Message[]> {
    const r = await this.pool.query<{ message: string }>(
      `SELECT message FROM wg_messages WHERE task_id = $1
          AND id > coalesce((SELECT last_id FROM wg_message_marks WHERE kind = 'read' AND reader = $2 AND task_id = $1), 0)
        ORDER BY id`,
      [taskId, reader],
    );
    const out = r.rows.map((x) => JSON.parse(x.message) as Message);
    if (advance && out.length) await this.mark('read', reader, taskId, out[out.length - 1]!.id);
    return out;
  }

  async marks(taskId: string): Promise<{ read: Map<string, number>; delivered: Map<string, number> }> {
    const r = await this.pool.query<{ kind: string; reader: string; last_id: number }>('SELECT kind, reader, last_id FROM wg_message_marks WHERE task_id = $1', [taskId]);
    const read = new Map<string, number>();
    const delivered = new Map<string, number>();
    for (const m of r.rows) (m.kind === 'read' ? read : delivered).set(m.reader, m.last_id);
    return { read, delivered };
  }

  async markDelivered(agent: string, taskId: string, id: number): Promise<void> {
    await this.mark('delivered', agent, taskId, id);
    await this.mark('read', agent, taskId, id);
  }
}
