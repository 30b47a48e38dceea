/**
 * Assessing registered agents: the process-table facts for each (gathered here, so the rule in
 * core/liveness.ts stays pure) and the verdict of `judgeAgent`. The CLI calls it with no
 * service knowledge; the daemon (service/assess.ts) passes what it supervises and which exits
 * it has seen — one function, two views that cannot drift.
 */
import { hostname } from 'node:os';
import { judgeAgent, type AgentLiveness, type AgentVerdict, type ProcessFacts, type ServiceKnowledge } from '../core/liveness.js';
import { isAliveStatus, type AgentRecord, type Registry } from '../store/registry.js';
import { processFacts, sameProcess } from './process-table.js';

export interface AssessOptions {
  nowMs: number;
  heartbeatTimeoutMs: number;
  host?: string;
  /** The service's knowledge of an agent; absent in the CLI. */
  service?: (agentId: string) => ServiceKnowledge;
}

export interface Assessment {
  /** Every registered agent's liveness (what the reconciler and the dispatcher read). */
  liveness: Map<string, AgentLiveness>;
  /** Agents alive now. */
  alive: number;
  /** Verdicts on the agents whose registry status says alive (the ones a step may act on). */
  verdicts: Array<{ agent: AgentRecord; verdict: AgentVerdict }>;
}

/** The process table's answer for a local agent with a PID (stopped state only for the service). */
function probe(a: AgentRecord, host: string, withState: boolean): ProcessFacts | undefined {
  if (a.pid === undefined || (a.host && a.host !== host)) return undefined;
  if (withState) return processFacts(a.pid, a.proc_start);
  const same = sameProcess(a.pid, a.proc_start);
  return { alive: same.alive, reason: same.reason };
}

export function assessAgents(reg: Registry, o: AssessOptions): Assessment {
  const host = o.host ?? hostname();
  const settings = { nowMs: o.nowMs, heartbeatTimeoutMs: o.heartbeatTimeoutMs, host };
  const liveness = new Map<string, AgentLiveness>();
  const verdicts: Assessment['verdicts'] = [];
  let alive = 0;
  for (const a of Object.values(reg.agents)) {
    const svc = o.service?.(a.id);
    const live = isAliveStatus(a.status);
    // A supervised agent's exit is an event: its PID is not probed (a stopped-state read aside).
    // A frozen agent (the Rust tool's) is probed too: it is dead only if its process is gone.
    const proc = (live && !svc?.exitPending) || a.status === 'frozen' ? probe(a, host, live && !!svc) : undefined;
    const v = judgeAgent(a, proc, settings, svc);
    liveness.set(a.id, v.alive ? { alive: true } : { alive: false, reason: v.reason, ...(v.held ? { held: true } : {}) });
    if (v.alive) alive++;
    if (live) verdicts.push({ agent: a, verdict: v });
  }
  return { liveness, alive, verdicts };
}

/** The CLI's view: liveness of every registered agent as any process on this host can judge it. */
export function registryLiveness(reg: Registry, nowMs: number, heartbeatTimeoutMs: number): Map<string, AgentLiveness> {
  return assessAgents(reg, { nowMs, heartbeatTimeoutMs }).liveness;
}
