/**
 * The agent supervisor: starts each agent in its own process group (setsid), with its output
 * in `agents/<id>/output.log`, watches it (exit events for our children, polling for agents
 * re-adopted after a service restart), enforces the hard timeout and kills whole groups.
 * Agents write to files, not pipes, so they outlive the service that started them.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { groupIsOurs, killGroup, procStartTime, sameProcess, signalGroup } from '../agents/process-table.js';
import type { KillReason } from './events.js';

export type { KillReason };

export interface AgentExit {
  agentId: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the service itself killed the agent, and why. */
  killedBy?: KillReason;
  /** The exit was inferred (an adopted agent vanished): no exit code is known. */
  inferred?: boolean;
}

interface Watched {
  agentId: string;
  pid: number;
  pgid: number;
  procStart: string | undefined;
  adopted: boolean;
  deadlineMs: number | undefined;
  killedBy?: KillReason;
  /** The kill under way (SIGTERM sent, SIGKILL after kill_grace), if any. */
  killing?: Promise<void>;
  exited: boolean;
}

export interface StartedAgent {
  pid: number;
  pgid: number;
  procStart: string | undefined;
}

export class Supervisor {
  private readonly watched = new Map<string, Watched>();
  private readonly exits: AgentExit[] = [];

  constructor(
    private readonly onExit: (exit: AgentExit) => void,
    private readonly killGraceMs: number,
  ) {}

  /** Launches `argv` in a new session/process group; resolves once the process exists. */
  start(agentId: string, argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; stdinFile?: string; outputFile: string; deadlineMs?: number }): Promise<StartedAgent> {
    const out = openSync(opts.outputFile, 'a');
    const stdin = opts.stdinFile ? openSync(opts.stdinFile, 'r') : 'ignore';
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: [stdin, out, out] });
      const closeFds = (): void => {
        closeSync(out);
        if (typeof stdin === 'number') closeSync(stdin);
      };
      child.once('error', (err) => {
        closeFds();
        reject(err);
      });
      child.once('spawn', () => {
        closeFds();
        const pid = child.pid!;
        const w: Watched = { agentId, pid, pgid: pid, procStart: procStartTime(pid), adopted: false, deadlineMs: opts.deadlineMs, exited: false };
        this.watched.set(agentId, w);
        child.once('exit', (code, signal) => this.recordExit(w, { agentId, code, signal }));
        // The service must not wait for agents when it exits: they are meant to outlive it.
        child.unref();
        resolve({ pid, pgid: pid, procStart: w.procStart });
      });
    });
  }

  /** Re-adopts an agent started by an earlier service (same PID and start time). */
  adopt(agentId: string, pid: number, pgid: number, procStart: string | undefined, deadlineMs: number | undefined): boolean {
    if (this.watched.has(agentId)) return true;
    if (!sameProcess(pid, procStart).alive) return false;
    this.watched.set(agentId, { agentId, pid, pgid, procStart, adopted: true, deadlineMs, exited: false });
    return true;
  }

  isWatched(agentId: string): boolean {
    const w = this.watched.get(agentId);
    return !!w && !w.exited;
  }

  /** Its exit was recorded and not yet drained (the next tick applies it). */
  exitPending(agentId: string): boolean {
    return this.exits.some((e) => e.agentId === agentId);
  }

  /** A kill of this agent is under way (its exit follows). */
  isKilling(agentId: string): boolean {
    const w = this.watched.get(agentId);
    return !!w && !w.exited && w.killing !== undefined;
  }

  hasAdopted(): boolean {
    for (const w of this.watched.values()) if (w.adopted && !w.exited) return true;
    return false;
  }

  watchedIds(): string[] {
    return [...this.watched.values()].filter((w) => !w.exited).map((w) => w.agentId);
  }

  /**
   * Polls adopted agents and deadlines; reports vanished agents and kills overdue ones.
   * Returns the ids of the agents it started killing for their hard timeout (for the log).
   */
  poll(nowMs: number): string[] {
    const timedOut: string[] = [];
    for (const w of this.watched.values()) {
      if (w.exited) continue;
      if (w.adopted && !sameProcess(w.pid, w.procStart).alive) {
        this.recordExit(w, { agentId: w.agentId, code: null, signal: null, inferred: true });
        continue;
      }
      if (w.deadlineMs !== undefined && nowMs >= w.deadlineMs && !w.killedBy) {
        timedOut.push(w.agentId);
        void this.kill(w.agentId, 'timeout');
      }
    }
    return timedOut;
  }

  nextDeadlineMs(): number | undefined {
    let next: number | undefined;
    for (const w of this.watched.values()) if (!w.exited && !w.killedBy && w.deadlineMs !== undefined) next = Math.min(next ?? Infinity, w.deadlineMs);
    return next;
  }

  /** Kills an agent's whole process group (SIGTERM, SIGKILL after kill_grace). */
  async kill(agentId: string, reason: KillReason, opts: { force?: boolean } = {}): Promise<void> {
    const w = this.watched.get(agentId);
    if (!w || w.exited) return;
    w.killedBy ??= reason;
    // One SIGTERM → SIGKILL sequence per agent: a kill already under way is not started again
    // (re-sending SIGTERM on every tick hit whatever the agent ran in its grace period).
    if (w.killing && !opts.force) return w.killing;
    w.killing = (async () => {
      if (!groupIsOurs(w.pid, w.pgid, w.procStart)) return;
      await killGroup(w.pgid, this.killGraceMs, opts);
      // An adopted agent is not our child: its exit is only seen by polling.
      if (w.adopted && !sameProcess(w.pid, w.procStart).alive) this.recordExit(w, { agentId, code: null, signal: 'SIGKILL', inferred: true });
    })();
    return w.killing;
  }

  drainExits(): AgentExit[] {
    return this.exits.splice(0, this.exits.length);
  }

  private recordExit(w: Watched, exit: AgentExit): void {
    if (w.exited) return;
    w.exited = true;
    // No orphaned grandchildren: whatever is left in the agent's group goes too.
    if (groupIsOurs(w.pid, w.pgid, w.procStart)) signalGroup(w.pgid, 'SIGKILL');
    const e: AgentExit = { ...exit, ...(w.killedBy ? { killedBy: w.killedBy } : {}) };
    this.exits.push(e);
    this.watched.delete(w.agentId);
    this.onExit(e);
  }
}
