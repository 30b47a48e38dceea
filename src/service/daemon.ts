/**
 * The service: one per `.wg/` (held by a lifetime flock on `service/daemon.lock`). It wakes on
 * a change to graph.jsonl, an IPC kick, an agent exit, a timed gate (settling, backoff, hard
 * timeout) and a safety timer (`poll_interval`). Each tick:
 *   handle agent exits → assess liveness → reconcile stale claims → kill agents whose task is
 *   terminal or whose claim moved → spawn on ready, unclaimed tasks up to max_agents.
 * Maintenance runs even when every slot is full. The decisions are pure functions in
 * src/core/plans (dispatch, reconcile); this file applies them and owns processes and timers.
 */
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Graph } from '../core/graph.js';
import { holdsClaim } from '../core/claims.js';
import { crashBackoffMs, type AgentLiveness } from '../core/liveness.js';
import type { Actor } from '../core/plan.js';
import { decideDispatch, planAgentExit, planSpawnClaim, planSpawnRollback, type AgentOutcome, type DispatchDecision } from '../core/plans/dispatch.js';
import { planReconcile, planReleaseClaims } from '../core/plans/reconcile.js';
import { evaluationWork, planResolveEvaluations, planScaffoldEvaluations, wantsEvaluation, type GateEvaluation, type ResolveResult } from '../core/plans/evaluation.js';
import { latestEvaluation, readTaskEvaluations } from '../agency/evaluations.js';
import { loadIdentity, type Identity } from '../agency/files.js';
import { isTerminal, type Task } from '../core/task.js';
import { formatTimestamp, parseTimestamp, systemClock, type Clock } from '../core/time.js';
import { hardTimeoutMs, loadSettings, type DispatcherSettings, type Settings } from '../settings.js';
import { writeFileDurable } from '../store/atomic-write.js';
import { tryLockForLifetime, type LockHandle } from '../store/lock.js';
import type { WgPaths } from '../store/paths.js';
import { isAliveStatus, readRegistry, updateRegistry, type AgentRecord, type Registry } from '../store/registry.js';
import { LiveGraph } from '../store/live-graph.js';
import { executorName, findExecutable, launchSpec } from '../agents/executors/index.js';
import { summarizeStreamFile } from '../agents/executors/stream.js';
import type { IpcRequest, IpcResponse } from './ipc.js';
import { openServiceLog, type ServiceLog } from './log.js';
import { agentLiveness } from '../agents/liveness.js';
import { procState } from '../agents/process-table.js';
import { buildPrompt } from './prompt.js';
import { daemonLockPath, readPaused, removeServiceState, writePaused, writeServiceState, type ServiceOverrides } from './service-files.js';
import { Supervisor, type AgentExit, type KillReason } from './supervisor.js';

/** Typed lifecycle events: they feed the log, `service status`, and the tests. */
export interface ServiceEvents {
  'agent:spawned': { agent: string; task: string; pid: number; executor: string; epoch: number };
  'agent:exited': { agent: string; task: string; code: number | null; signal: string | null; action: string; killedBy?: string };
  'agent:killed': { agent: string; task: string; reason: KillReason };
  'agent:dead': { agent: string; task: string; reason: string };
  'claim:reclaimed': { task: string; agent: string; reason: string; failed: boolean };
  'spawn:failed': { task: string; agent: string; error: string };
  'tick:done': TickSummary;
  'eval:scaffolded': { tasks: string[] };
  'eval:resolved': ResolveResult;
  'eval:unreadable': { task: string; error: string };
}

export interface TickSummary {
  alive: number;
  ready: number;
  spawned: number;
  reclaimed: number;
  exits: number;
  waiting: Record<string, number>;
  ms: number;
}

const ADOPTED_POLL_MS = 200;
const LEASE_RENEW_FRACTION = 4;

export interface DaemonOptions {
  overrides?: ServiceOverrides;
  /** The resolved settings (overrides included); absent: read from config.toml with `overrides`. */
  settings?: Settings;
  clock?: Clock;
  /** The `wg` entry script agents should call (prepended to their PATH as a shim). */
  wgEntry: string;
}

export class Daemon extends EventEmitter {
  private live: LiveGraph | undefined;
  private readonly clock: Clock;
  /** Resolved once, here (src/settings.ts): no other config read. */
  readonly settings: Settings;
  private readonly dispatch: DispatcherSettings;
  private readonly supervisor: Supervisor;
  private log!: ServiceLog;
  private server: Server | undefined;
  private watcher: FSWatcher | undefined;
  private lock: LockHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private safety: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;
  private stopping = false;
  private paused = false;
  private readonly host = hostname();
  private readonly startedAt = new Date();
  lastDecision: DispatchDecision | undefined;
  lastTick: TickSummary | undefined;
  private readonly shimDir: string;
  /** Agents whose task went terminal while they run: when the service first saw it (ms). */
  private readonly terminalSince = new Map<string, number>();
  /** Consecutive spawn failures per task (for the spawn-failure backoff). */
  private readonly spawnFailures = new Map<string, number>();

  constructor(
    readonly paths: WgPaths,
    private readonly opts: DaemonOptions,
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.settings = opts.settings ?? loadSettings(paths.config, opts.overrides ?? {});
    this.dispatch = this.settings.dispatcher;
    this.supervisor = new Supervisor(
      () => this.requestTick(0),
      () => this.dispatch.killGraceMs,
    );
    this.shimDir = join(paths.serviceDir, 'bin');
  }

  override emit<K extends keyof ServiceEvents>(event: K, data: ServiceEvents[K]): boolean {
    this.log?.logger.info({ event, ...(data as object) } as Record<string, unknown>, event);
    return super.emit(event, data);
  }

  /** Acquires the service lock; false if another service already runs on this .wg/. */
  acquire(): boolean {
    mkdirSync(this.paths.serviceDir, { recursive: true });
    this.lock = tryLockForLifetime(daemonLockPath(this.paths));
    return !!this.lock;
  }

  /** Runs as the long-lived service: socket, watcher, timers. */
  async run(): Promise<void> {
    this.log = openServiceLog(this.paths.daemonLog);
    this.paused = readPaused(this.paths) ?? this.dispatch.paused;
    this.writeShim();
    await this.listen();
    writeServiceState(this.paths, { pid: process.pid, socket_path: this.paths.socket, started_at: formatTimestamp(this.startedAt), ...(this.opts.overrides ? { overrides: this.opts.overrides } : {}) });
    this.log.logger.info({ event: 'service:started', dir: this.paths.dir, max_agents: this.dispatch.maxAgents, executor: this.dispatch.executor, paused: this.paused }, 'service started');
    try {
      this.watcher = watch(this.paths.dir, (_ev, name) => {
        if (name === 'graph.jsonl') this.requestTick(20);
      });
    } catch {
      this.log.logger.warn({ event: 'watch:failed' }, 'cannot watch graph.jsonl; relying on kicks and the poll timer');
    }
    this.safety = setInterval(() => this.requestTick(0), this.dispatch.pollIntervalMs);
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void this.shutdown(false));
    this.requestTick(0);
  }

  /** One tick in the foreground (`wg service tick`): no socket, no timers. */
  async tickOnce(): Promise<TickSummary> {
    this.log = openServiceLog(this.paths.daemonLog);
    this.paused = readPaused(this.paths) ?? this.dispatch.paused;
    this.writeShim();
    return this.tick();
  }

  private writeShim(): void {
    mkdirSync(this.shimDir, { recursive: true });
    const shim = join(this.shimDir, 'wg');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${this.opts.wgEntry}" "$@"\n`, { mode: 0o755 });
  }

  private listen(): Promise<void> {
    // We hold daemon.lock, so a socket file left here belongs to a dead service.
    rmSync(this.paths.socket, { force: true });
    return new Promise((resolve, reject) => {
      const server = createServer((sock) => this.serve(sock));
      server.once('error', reject);
      const umask = process.umask(0o177);
      server.listen(this.paths.socket, () => {
        process.umask(umask);
        chmodSync(this.paths.socket, 0o600);
        this.server = server;
        resolve();
      });
    });
  }

  private serve(sock: Socket): void {
    let buf = '';
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.handle(line).then((res) => {
          if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
        });
      }
    });
  }

  private async handle(line: string): Promise<IpcResponse> {
    let req: IpcRequest;
    try {
      req = JSON.parse(line) as IpcRequest;
    } catch {
      return { ok: false, error: 'request is not JSON' };
    }
    switch (req.cmd) {
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'kick':
        this.requestTick(0);
        return { ok: true };
      case 'status':
        return { ok: true, ...this.statusView() };
      case 'pause':
      case 'resume':
        if (req.agent_id) return { ok: false, error: `an agent (${req.agent_id}) cannot ${req.cmd} the service` };
        this.paused = req.cmd === 'pause';
        writePaused(this.paths, this.paused);
        this.log.logger.info({ event: `service:${req.cmd}d` }, `dispatcher ${req.cmd}d`);
        this.requestTick(0);
        return { ok: true, paused: this.paused };
      case 'stop':
        if (req.agent_id) return { ok: false, error: `an agent (${req.agent_id}) cannot stop the service` };
        setImmediate(() => void this.shutdown(!!req.kill_agents));
        return { ok: true, pid: process.pid };
      default:
        return { ok: false, error: `unknown request '${(req as { cmd?: string }).cmd}'` };
    }
  }

  statusView(): Record<string, unknown> {
    return {
      pid: process.pid,
      started_at: formatTimestamp(this.startedAt),
      paused: this.paused,
      max_agents: this.dispatch.maxAgents,
      executor: this.dispatch.executor,
      model: this.dispatch.model ?? null,
      poll_interval_ms: this.dispatch.pollIntervalMs,
      supervised: this.supervisor.watchedIds(),
      last_tick: this.lastTick ?? null,
    };
  }

  requestTick(delayMs: number): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runTick();
    }, delayMs);
  }

  private async runTick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    let next: number | undefined;
    try {
      await this.tick();
      next = this.nextWakeMs();
    } catch (e) {
      this.log.logger.error({ event: 'tick:error', error: (e as Error).message }, 'tick failed');
      next = 1000;
    } finally {
      this.ticking = false;
    }
    if (this.tickAgain) {
      this.tickAgain = false;
      this.requestTick(0);
    } else if (next !== undefined) this.requestTick(next);
  }

  private liveGraph(): Graph {
    this.live ??= new LiveGraph(this.paths);
    this.live.refresh();
    return this.live.graph();
  }

  private who(): Actor {
    return { now: this.clock.now(), actor: 'service' };
  }

  private async mutate<R>(plan: (g: Graph) => import('../core/plan.js').Plan<R>): Promise<R> {
    const who = this.who();
    this.live ??= new LiveGraph(this.paths);
    const r = await this.live.mutate(plan, { now: who.now, actor: 'service' });
    return r.result;
  }

  async tick(): Promise<TickSummary> {
    const t0 = Date.now();
    this.log.rotateIfNeeded();
    // Hard-timeout kills start here; log them like every other kill (daemon.log records each).
    const timedOut = this.supervisor.poll(this.clock.now().getTime());
    if (timedOut.length) {
      const reg = readRegistry(this.paths);
      for (const id of timedOut) this.emit('agent:killed', { agent: id, task: reg.agents[id]?.task_id ?? '?', reason: 'timeout' });
    }

    // 1. Agents that exited since the last tick.
    const exits = this.supervisor.drainExits();
    for (const ex of exits) await this.handleExit(ex);

    // 2. Liveness of every registered agent.
    const { liveness, alive } = await this.assessAgents();

    // 3. Reconcile stale claims (dead or unknown agents; never human claims).
    const { reclaimed } = await this.mutate((g) => planReconcile(g, liveness, this.who(), { maxRetries: this.dispatch.maxRetries }));
    for (const c of reclaimed) this.emit('claim:reclaimed', { task: c.task_id, agent: c.agent, reason: c.reason, failed: c.failed });

    // 3b. Agency (SPEC §8): finished evaluations promote pending-eval → done (eval gate
    // included); with auto_evaluate, new tasks get their `.evaluate-X` companion.
    await this.agencyStep();

    // 4. Agents whose task is terminal, or whose claim moved on, are stopped.
    let graph = this.liveGraph();
    const registry = readRegistry(this.paths);
    const nowMs = this.clock.now().getTime();
    for (const id of this.supervisor.watchedIds()) {
      const rec = registry.agents[id];
      if (!rec) continue;
      const task = graph.get(rec.task_id);
      const claimMoved = !holdsClaim(task, id, rec.claim_epoch);
      if (task && isTerminal(task.status) && task.assigned === id) {
        // Usually the agent itself just ran `wg done` / `wg fail` and is about to exit (a
        // Claude/Codex agent still prints its final result line, with the token usage). Give
        // it kill_grace to exit on its own; killing it at once lost that usage and made every
        // normal finish a kill.
        const seen = this.terminalSince.get(id) ?? nowMs;
        this.terminalSince.set(id, seen);
        if (nowMs - seen < this.dispatch.killGraceMs) continue;
        this.terminalSince.delete(id);
        this.emit('agent:killed', { agent: id, task: rec.task_id, reason: 'task-terminal' });
        void this.supervisor.kill(id, 'task-terminal');
      } else if (claimMoved && task?.status !== 'done') {
        this.emit('agent:killed', { agent: id, task: rec.task_id, reason: 'claim-lost' });
        void this.supervisor.kill(id, 'claim-lost');
      }
    }

    // 5. Spawn on ready, unclaimed tasks by priority up to max_agents.
    graph = this.liveGraph();
    const decision = decideDispatch(graph, {
      now: this.clock.now(),
      maxAgents: this.dispatch.maxAgents,
      aliveAgents: alive,
      paused: this.paused,
      settlingDelayMs: this.dispatch.settlingDelayMs,
      liveness,
      executorFor: (task) => this.executorFor(task),
    });
    let spawned = 0;
    for (const s of decision.spawn) if (await this.spawnAgent(s.task, s.executor)) spawned++;
    this.lastDecision = decision;

    const waiting: Record<string, number> = {};
    for (const w of decision.waiting) waiting[w.reason.kind] = (waiting[w.reason.kind] ?? 0) + 1;
    const summary: TickSummary = { alive: alive + spawned, ready: decision.spawn.length + decision.waiting.length, spawned, reclaimed: reclaimed.length, exits: exits.length, waiting, ms: Date.now() - t0 };
    this.lastTick = summary;
    this.emit('tick:done', summary);
    return summary;
  }

  private async agencyStep(): Promise<void> {
    let graph = this.liveGraph();
    const work = evaluationWork(graph);
    if (work.pending.length || work.orphans.length) {
      const evals = new Map<string, GateEvaluation[]>();
      const skip = new Set<string>();
      for (const id of work.pending) {
        try {
          evals.set(id, readTaskEvaluations(this.paths, id));
        } catch (e) {
          // A corrupt evaluation file must not let the task past its gate: it stays pending-eval
          // (the log names the file) until the file is fixed or removed.
          skip.add(id);
          this.emit('eval:unreadable', { task: id, error: (e as Error).message });
        }
      }
      const a = this.settings.agency;
      const r = await this.mutate((g) => planResolveEvaluations(g, this.who(), { threshold: a.evalGateThreshold, maxRescues: a.maxEvalRescues, evaluationsOf: (id) => evals.get(id) ?? [], skip }));
      if (r.promoted.length || r.rescued.length || r.rejected.length || r.abandoned.length) this.emit('eval:resolved', r);
      graph = this.liveGraph();
    }
    if (this.settings.agency.autoEvaluate && [...graph.tasks.values()].some((t) => wantsEvaluation(graph, t))) {
      const r = await this.mutate((g) => planScaffoldEvaluations(g, this.who()));
      if (r.created.length) this.emit('eval:scaffolded', { tasks: r.created });
    }
  }

  /** The identity and eval-gate feedback rendered into an agent's prompt (never fails a spawn). */
  private promptExtras(task: Task): { identity?: Identity; feedback?: { score: number; notes?: string | null } } {
    const out: { identity?: Identity; feedback?: { score: number; notes?: string | null } } = {};
    try {
      if (task.agent) out.identity = loadIdentity(this.paths, task.agent);
    } catch (e) {
      this.log.logger.warn({ event: 'prompt:identity-unreadable', task: task.id, error: (e as Error).message }, 'agency files unreadable');
    }
    try {
      if (typeof task.rescue_count === 'number' && task.rescue_count > 0) {
        const ev = latestEvaluation(readTaskEvaluations(this.paths, task.id), task.id);
        if (ev) out.feedback = { score: ev.score, notes: ev.notes ?? null };
      }
    } catch {
      // feedback is a courtesy; the task log has the score too
    }
    return out;
  }

  private executorFor(task: Task): { executor: string; missing?: string } {
    const executor = executorName(task, this.dispatch.executor);
    const spec = launchSpec(task, this.settings.executors, { promptFile: '', model: undefined, executor });
    if ('missing' in spec) return { executor, missing: spec.missing };
    if (!findExecutable(spec.argv[0]!, this.agentPath())) return { executor, missing: `'${spec.argv[0]}' is not on PATH` };
    return { executor };
  }

  private agentPath(): string {
    return `${this.shimDir}:${process.env.PATH ?? ''}`;
  }

  /** Liveness per SPEC §4 and re-adoption of agents a previous service started. */
  private async assessAgents(): Promise<{ liveness: Map<string, AgentLiveness>; alive: number }> {
    const now = this.clock.now();
    const nowMs = now.getTime();
    const reg = readRegistry(this.paths);
    const liveness = new Map<string, AgentLiveness>();
    const dead: Array<{ id: string; reason: string }> = [];
    const renew: string[] = [];
    let alive = 0;
    for (const rec of Object.values(reg.agents)) {
      if (!isAliveStatus(rec.status)) {
        liveness.set(rec.id, { alive: false, reason: `is ${rec.status}${rec.exit_reason ? ` (${String(rec.exit_reason)})` : ''}` });
        continue;
      }
      const verdict = this.judge(rec, nowMs);
      if (verdict.alive) {
        const hb = rec.last_heartbeat ? (parseTimestamp(rec.last_heartbeat)?.getTime() ?? 0) : 0;
        if (this.supervisor.isWatched(rec.id)) {
          // Leases (SPEC §4 signal 3): the service renews them for the agents it supervises —
          // but not for a stopped process (SIGSTOP, a debugger): it makes no progress, so its
          // lease runs out after heartbeat_timeout, and then it is killed and its task re-queued.
          const stopped = rec.pid !== undefined && /^[Tt]$/.test(procState(rec.pid) ?? '');
          if (stopped && nowMs - hb > this.dispatch.heartbeatTimeoutMs) {
            const reason = 'lease expired (process stopped)';
            liveness.set(rec.id, { alive: false, reason });
            dead.push({ id: rec.id, reason });
            this.emit('agent:killed', { agent: rec.id, task: rec.task_id, reason: 'lease-expired' });
            void this.supervisor.kill(rec.id, 'lease-expired');
            continue;
          }
          if (!stopped && nowMs - hb > this.dispatch.heartbeatTimeoutMs / LEASE_RENEW_FRACTION) renew.push(rec.id);
        }
        alive++;
        liveness.set(rec.id, { alive: true });
      } else {
        liveness.set(rec.id, { alive: false, reason: verdict.reason });
        dead.push({ id: rec.id, reason: verdict.reason });
      }
    }
    if (dead.length || renew.length) {
      const stamp = formatTimestamp(now);
      await updateRegistry(this.paths, (r) => {
        for (const d of dead) {
          const a = r.agents[d.id];
          if (a && isAliveStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: d.reason });
        }
        for (const id of renew) {
          const a = r.agents[id];
          if (a && isAliveStatus(a.status)) a.last_heartbeat = stamp;
        }
      });
      for (const d of dead) this.emit('agent:dead', { agent: d.id, task: reg.agents[d.id]!.task_id, reason: d.reason });
    }
    return { liveness, alive };
  }

  private judge(rec: AgentRecord, nowMs: number): { alive: true } | { alive: false; reason: string } {
    if (this.supervisor.isWatched(rec.id)) return { alive: true };
    // The same rules the CLI applies (agents/liveness.ts): PID + start time here, lease elsewhere.
    const verdict = agentLiveness(rec, nowMs, this.dispatch.heartbeatTimeoutMs, this.host);
    if (!verdict.alive) return { alive: false, reason: verdict.reason ?? 'is dead' };
    if (rec.pid !== undefined && (!rec.host || rec.host === this.host)) {
      // A live process from an earlier service: adopt it (and its hard timeout).
      const deadline = this.deadlineFor(rec.task_id, parseTimestamp(rec.started_at)?.getTime() ?? 0);
      if (this.supervisor.adopt(rec.id, rec.pid, rec.pgid ?? rec.pid, rec.proc_start, deadline)) {
        this.log.logger.info({ event: 'agent:adopted', agent: rec.id, pid: rec.pid }, 'agent re-adopted');
      }
    }
    return { alive: true };
  }

  private deadlineFor(taskId: string, startedMs: number): number | undefined {
    const task = this.liveGraph().get(taskId);
    const ms = hardTimeoutMs(task, this.dispatch);
    return ms > 0 ? startedMs + ms : undefined;
  }

  private async handleExit(ex: AgentExit): Promise<void> {
    const reg = readRegistry(this.paths);
    const rec = reg.agents[ex.agentId];
    if (!rec) return;
    // Killed on purpose — by this service (stop, claim moved, task terminal) or by a CLI command
    // (`wg retry`, `wg agents kill`, …) that marked the agent dead before signalling it. Not a
    // crash: what happens to the task is that command's business (or the reconciler's).
    const deliberate = (ex.killedBy !== undefined && ex.killedBy !== 'timeout') || rec.status === 'dead';
    let action = 'none';
    if (!deliberate) {
      const outcome: AgentOutcome | undefined =
        ex.killedBy === 'timeout' ? { kind: 'timeout' } : ex.signal ? { kind: 'signal', signal: ex.signal } : ex.code !== null ? { kind: 'exited', code: ex.code } : undefined;
      const usage = rec.output_file ? summarizeStreamFile(rec.output_file) : {};
      if (outcome) {
        const r = await this.mutate((g) => {
          const p = planAgentExit(g, rec.task_id, rec.id, rec.claim_epoch ?? 0, outcome, this.who(), { maxRetries: this.dispatch.maxRetries });
          const t = p.result.task;
          const withUsage = (task: Task): Task => ({ ...task, ...(usage.session_id ? { session_id: usage.session_id } : {}), ...(usage.token_usage ? { token_usage: usage.token_usage } : {}) });
          if (t && (usage.token_usage || usage.session_id)) {
            const merged = withUsage(t);
            return { ...p, writes: p.writes.map((w) => (w.id === t.id ? merged : w)) };
          }
          // The agent finished the task itself (wg done / wg fail) and the exit changes
          // nothing: the usage still belongs on the task, as long as the claim is still this
          // agent's at its epoch (never onto a task someone else holds now).
          const cur = g.get(rec.task_id);
          if (!t && (usage.token_usage || usage.session_id) && cur && holdsClaim(cur, rec.id, rec.claim_epoch ?? 0)) {
            return { ...p, writes: [...p.writes, withUsage(cur)] };
          }
          return p;
        });
        action = r.action;
        if (r.reclaimed) this.emit('claim:reclaimed', { task: rec.task_id, agent: rec.id, reason: r.reclaimed.reason, failed: r.reclaimed.failed });
      }
      Object.assign(rec, usage);
    }
    // The registry mirrors how the agent's own work ended: done or failed when the task ended
    // that way under its claim (also when an adopted agent's exit code is unknown), else dead.
    const taskNow = this.liveGraph().get(rec.task_id);
    const underItsClaim = !!taskNow && holdsClaim(taskNow, rec.id, rec.claim_epoch ?? 0);
    const status =
      deliberate || ex.signal || !underItsClaim ? 'dead' : taskNow.status === 'done' || taskNow.status === 'pending-eval' ? 'done' : taskNow.status === 'failed' ? 'failed' : 'dead';
    const reason = ex.killedBy ? `killed (${ex.killedBy})` : ex.signal ? `killed by ${ex.signal}` : ex.inferred ? 'process exited (exit code unknown)' : `exited with code ${ex.code}`;
    await updateRegistry(this.paths, (r) => {
      const a = r.agents[ex.agentId];
      if (!a) return;
      // A reason recorded when the agent was declared dead (by the CLI or a lease) is kept.
      Object.assign(a, { status: a.status === 'dead' ? 'dead' : status, exit_code: ex.code, completed_at: a.completed_at ?? formatTimestamp(this.clock.now()), exit_reason: a.status === 'dead' && a.exit_reason ? a.exit_reason : reason });
      const u = rec as Record<string, unknown>;
      if (u.session_id) a.session_id = u.session_id;
      if (u.token_usage) a.token_usage = u.token_usage;
    });
    this.emit('agent:exited', { agent: ex.agentId, task: rec.task_id, code: ex.code, signal: ex.signal, action, ...(ex.killedBy ? { killedBy: ex.killedBy } : {}) });
  }

  private async spawnAgent(task: Task, executor: string): Promise<boolean> {
    const model = task.model ?? this.dispatch.model;
    const agentId = await updateRegistry(this.paths, (r: Registry) => `agent-${r.next_agent_id++}`);
    const claim = await this.mutate((g) => planSpawnClaim(g, task.id, agentId, executor, model, this.who()));
    if (!claim) return false;
    const claimed = claim.task;
    const epoch = claimed.claim_epoch ?? 0;
    const agentDir = join(this.paths.agentsDir, agentId);
    const outputFile = join(agentDir, 'output.log');
    const promptFile = join(agentDir, 'prompt.txt');
    const now = this.clock.now();
    const startedAt = formatTimestamp(now);
    const fail = async (error: string): Promise<false> => {
      // Back off before the next attempt (1 s, 2 s, 4 s … 5 min) so a spawn that always fails
      // is not retried in a hot loop; the count resets on the task's next successful spawn.
      const failures = (this.spawnFailures.get(task.id) ?? 0) + 1;
      this.spawnFailures.set(task.id, failures);
      const readyAfter = formatTimestamp(new Date(this.clock.now().getTime() + crashBackoffMs(failures + 1, 500)));
      await this.mutate((g) => planSpawnRollback(g, task.id, agentId, epoch, error, this.who(), readyAfter));
      await updateRegistry(this.paths, (r) => {
        r.agents[agentId] = { id: agentId, task_id: task.id, claim_epoch: epoch, executor, ...(model ? { model } : {}), started_at: startedAt, status: 'failed', completed_at: formatTimestamp(this.clock.now()), exit_reason: `spawn failed: ${error}`, host: this.host };
      });
      this.emit('spawn:failed', { task: task.id, agent: agentId, error });
      return false;
    };
    try {
      mkdirSync(agentDir, { recursive: true });
      const graph = this.liveGraph();
      writeFileSync(promptFile, buildPrompt(graph, claimed, agentId, this.promptExtras(claimed)));
      const spec = launchSpec(claimed, this.settings.executors, { promptFile, model, executor });
      if ('missing' in spec) return await fail(spec.missing);
      const timeoutMs = hardTimeoutMs(claimed, this.dispatch);
      writeFileSync(join(agentDir, 'metadata.json'), JSON.stringify({ agent_id: agentId, task_id: task.id, claim_epoch: epoch, executor, model: model ?? null, argv: spec.argv, started_at: startedAt, timeout_ms: timeoutMs }, null, 2) + '\n');
      await updateRegistry(this.paths, (r) => {
        r.agents[agentId] = { id: agentId, task_id: task.id, claim_epoch: epoch, executor, ...(model ? { model } : {}), started_at: startedAt, last_heartbeat: startedAt, status: 'starting', output_file: outputFile, host: this.host };
      });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...spec.env,
        PATH: this.agentPath(),
        WG_DIR: this.paths.dir,
        WG_TASK_ID: task.id,
        WG_AGENT_ID: agentId,
        WG_CLAIM_EPOCH: String(epoch),
        WG_EXECUTOR: executor,
        ...(model ? { WG_MODEL: model } : {}),
      };
      // Nested Claude Code sessions refuse to start when these leak in from a parent session.
      delete env.CLAUDECODE;
      delete env.CLAUDE_CODE_ENTRYPOINT;
      const started = await this.supervisor.start(agentId, spec.argv, {
        cwd: dirname(this.paths.dir),
        env,
        ...(spec.promptOnStdin ? { stdinFile: promptFile } : {}),
        outputFile,
        ...(timeoutMs > 0 ? { deadlineMs: now.getTime() + timeoutMs } : {}),
      });
      await updateRegistry(this.paths, (r) => {
        const a = r.agents[agentId];
        if (a) Object.assign(a, { pid: started.pid, pgid: started.pgid, ...(started.procStart ? { proc_start: started.procStart } : {}), status: 'working' });
      });
      this.spawnFailures.delete(task.id);
      this.emit('agent:spawned', { agent: agentId, task: task.id, pid: started.pid, executor, epoch });
      return true;
    } catch (e) {
      return await fail((e as Error).message);
    }
  }

  /** When to wake next without an event: settling ends, a backoff/time gate opens, a deadline. */
  private nextWakeMs(): number | undefined {
    const nowMs = this.clock.now().getTime();
    let next = Infinity;
    for (const w of this.lastDecision?.waiting ?? []) if (w.reason.kind === 'settling') next = Math.min(next, w.reason.untilMs);
    for (const t of this.liveGraph().tasks.values()) {
      if (t.status !== 'open' && t.status !== 'incomplete') continue;
      for (const f of [t.ready_after, t.not_before]) {
        const ms = f ? parseTimestamp(f)?.getTime() : undefined;
        if (ms !== undefined && ms > nowMs) next = Math.min(next, ms);
      }
    }
    for (const [id, seen] of this.terminalSince) {
      if (this.supervisor.isWatched(id)) next = Math.min(next, seen + this.dispatch.killGraceMs);
      else this.terminalSince.delete(id);
    }
    const deadline = this.supervisor.nextDeadlineMs();
    if (deadline !== undefined) next = Math.min(next, deadline);
    if (this.supervisor.hasAdopted()) next = Math.min(next, nowMs + ADOPTED_POLL_MS);
    return next === Infinity ? undefined : Math.max(5, next - nowMs + 5);
  }

  async shutdown(killAgents: boolean): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.safety) clearInterval(this.safety);
    this.watcher?.close();
    this.server?.close();
    if (killAgents) {
      const ids = this.supervisor.watchedIds();
      // Agents started by an earlier service that we never adopted still count.
      const reg = readRegistry(this.paths);
      const local = Object.values(reg.agents).filter((a) => isAliveStatus(a.status) && (!a.host || a.host === this.host));
      for (const a of local) if (a.pid && !ids.includes(a.id)) this.supervisor.adopt(a.id, a.pid, a.pgid ?? a.pid, a.proc_start, undefined);
      const all = this.supervisor.watchedIds();
      await Promise.all(all.map((id) => this.supervisor.kill(id, 'stop')));
      const stamp = formatTimestamp(this.clock.now());
      await updateRegistry(this.paths, (r) => {
        for (const id of all) {
          const a = r.agents[id];
          if (a && isAliveStatus(a.status)) Object.assign(a, { status: 'dead', completed_at: stamp, exit_reason: 'killed (service stop --kill-agents)' });
        }
      });
      await this.mutate((g) => planReleaseClaims(g, new Set(all), 'service stopped with --kill-agents', this.who()));
      this.log.logger.info({ event: 'service:agents-killed', agents: all }, 'agents killed on stop');
    }
    this.log?.logger.info({ event: 'service:stopped' }, 'service stopped');
    rmSync(this.paths.socket, { force: true });
    removeServiceState(this.paths);
    this.lock?.release();
    // Give pino's sync destination a moment, then leave; agents keep running unless killed.
    setImmediate(() => process.exit(0));
  }
}

export function serviceIsRunning(paths: WgPaths): boolean {
  if (!existsSync(daemonLockPath(paths))) return false;
  const lock = tryLockForLifetime(daemonLockPath(paths));
  if (lock) {
    lock.release();
    return false;
  }
  return true;
}

export { writeFileDurable };
