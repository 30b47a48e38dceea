/**
 * Killing agents on a PostgreSQL project (issue 13), from any host. An agent runs on one host;
 * only that host can signal its process group. So the CLI's Killer (src/apply.ts):
 *
 * - an agent of this host: as with JSONL (agent-control.ts) — marked dead in the shared
 *   registry first (its exit then reads as deliberate), then its process group signalled, with
 *   the same check that the record provably names the process wg started;
 * - an agent of another host: a kill request in its registry record (`kill_request`), and
 *   NOTIFY; the owning host's service acts on it at its next tick (service/kill-requests.ts: the
 *   same check, then SIGTERM → SIGKILL after kill_grace) and writes back what it did
 *   (`kill_result`). `wg kill` waits for that, bounded, and reports it; a host whose service does
 *   not answer in time is named, and the request stays for its service's next start.
 */
import { formatTimestamp } from '../core/time.js';
import type { Kill } from '../core/plan.js';
import { isEndedStatus, type AgentRecord } from '../store/registry.js';
import type { PgRegistry } from '../store/pg/registry.js';
import type { KilledAgent } from './agent-control.js';
import { killAgentGroup } from './process-table.js';

/** What a host asks of another host's service (stored in the agent's registry record). */
export interface KillRequest {
  reason: string;
  force: boolean;
  /** When it was asked (database time), and by which host: the answer names the same `at`. */
  at: string;
  by: string;
}

/** What the owning host's service did (stored in the agent's record, replacing the request). */
export interface KillResult {
  request_at: string;
  at: string;
  host: string;
  signalled: boolean;
  /** The record does not provably name the agent's process: marked dead, not signalled. */
  refused?: string;
  /** The agent had already ended (its status then). */
  was?: string;
}

export const killRequestOf = (a: AgentRecord): KillRequest | undefined => {
  const r = (a as { kill_request?: unknown }).kill_request;
  return r && typeof r === 'object' && typeof (r as KillRequest).at === 'string' ? (r as KillRequest) : undefined;
};

const killResultOf = (a: AgentRecord | undefined): KillResult | undefined => {
  const r = (a as { kill_result?: unknown } | undefined)?.kill_result;
  return r && typeof r === 'object' && typeof (r as KillResult).request_at === 'string' ? (r as KillResult) : undefined;
};

export interface PgKillerOptions {
  registry: PgRegistry;
  /** NOTIFY wg_changed: wakes every host's service. */
  notify: () => Promise<void>;
  graceMs: number;
  /** How long to wait for another host's service to act on a request. */
  answerWithinMs: number;
  now: () => Date;
  /** Injected in tests; real time otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

export function pgKiller(o: PgKillerOptions): { kill(kills: readonly Kill[]): Promise<KilledAgent[]> } {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    async kill(kills) {
      const byId = new Map<string, Kill>();
      for (const k of kills) if (!byId.has(k.agent)) byId.set(k.agent, k);
      const stamp = formatTimestamp(o.now());
      // One registry transaction: this host's agents marked dead, the others' requests recorded.
      const plan = await o.registry.update((r) => {
        const out: Array<{ id: string; record: AgentRecord | undefined; wasAlive: boolean; remote: boolean }> = [];
        for (const [id, k] of byId) {
          const a = Object.hasOwn(r.agents, id) ? r.agents[id] : undefined;
          const wasAlive = !!a && !isEndedStatus(a.status);
          const remote = !!a && !!a.host && a.host !== o.registry.host;
          out.push({ id, record: a ? { ...a } : undefined, wasAlive, remote });
          if (!a || !wasAlive) continue;
          if (remote) (a as { kill_request?: KillRequest }).kill_request = { reason: k.reason, force: !!k.force, at: stamp, by: o.registry.host };
          else Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: k.reason });
        }
        return out;
      });
      const asked = plan.filter((t) => t.remote && t.wasAlive);
      if (asked.length) await o.notify();
      const local = Promise.all(
        plan.map(async (t) => {
          if (t.remote || !t.wasAlive || !t.record || !t.record.pid) return undefined;
          return killAgentGroup({ pid: t.record.pid, pgid: t.record.pgid ?? t.record.pid, procStart: t.record.proc_start }, o.graceMs, { force: !!byId.get(t.id)!.force });
        }),
      );
      // Other hosts' answers, polled until each came or the bound passed.
      const answers = new Map<string, KillResult>();
      const deadline = Date.now() + o.answerWithinMs;
      while (asked.some((t) => !answers.has(t.id)) && Date.now() < deadline) {
        await sleep(200);
        const { registry } = await o.registry.read();
        for (const t of asked) {
          const res = killResultOf(registry.agents[t.id]);
          if (res && res.request_at === stamp) answers.set(t.id, res);
        }
      }
      const outcomes = await local;
      return plan.map((t, i): KilledAgent => {
        const base = { id: t.id, ...(t.record?.pid ? { pid: t.record.pid } : {}), wasAlive: t.wasAlive, ...(t.remote ? { host: t.record!.host! } : {}) };
        if (!t.remote) return { ...base, signalled: !!outcomes[i]?.signalled, ...(outcomes[i]?.refused ? { notSignalled: outcomes[i]!.refused } : {}) };
        if (!t.wasAlive) return { ...base, signalled: false };
        const a = answers.get(t.id);
        if (!a) return { ...base, signalled: false, pending: true, notSignalled: `its host '${t.record!.host}' did not act on the kill request within ${Math.round(o.answerWithinMs / 1000)} s (is its service running?); the request stays until it does` };
        return { ...base, wasAlive: !a.was, signalled: a.signalled, ...(a.refused ? { notSignalled: `${a.refused} (checked on its host '${a.host}')` } : {}) };
      });
    },
  };
}
