/**
 * The agent supervisor: starts each agent in its own process group (setsid), with its output
 * in `agents/<id>/output.log`, watches it (exit events for our children, polling for agents
 * re-adopted after a service restart), enforces the hard timeout and kills whole groups.
 * Agents write to files, not pipes, so they outlive the service that started them.
 *
 * Each agent runs under the agent wrapper (agents/agent-wrapper.sh, the group leader), which
 * writes `agents/<id>/exit` when the command ends. An exit's code and signal come from that
 * record when there is one — also for an adopted agent, whose exit status no parent of ours
 * can read — so a restarted service completes a finished agent's task instead of re-running it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { readExitRecord } from '../agents/exit-record.js';
import { checkSignalTarget, groupIsOurs, killGroup, procIdentity, sameProcess, signalGroup } from '../agents/process-table.js';
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
  /** The agent's command could not be started (the wrapper's record): a failed spawn. */
  launchError?: string;
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

  /** Agents whose launch is under way (registry `starting`, no PID yet): not a lost spawn. */
  private readonly launching = new Set<string>();

  constructor(
    private readonly onExit: (exit: AgentExit) => void,
    private readonly killGraceMs: number,
    /** `agents/`: each agent's directory holds its exit record. */
    private readonly agentsDir: string,
    /** dist/agent-wrapper.sh (agents/agent-wrapper.sh), run by /bin/sh. */
    private readonly wrapper: string,
  ) {}

  /**
   * Launches `argv` under the agent wrapper in a new session/process group; resolves once the
   * wrapper runs. A command that cannot start (ENOENT, a missing interpreter) comes back as an
   * exit with `launchError` (from the wrapper's record), which the exits step treats as a failed
   * spawn — so a spawn never waits for the command's own start-up.
   */
  start(agentId: string, argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; stdinFile?: string; outputFile: string; deadlineMs?: number }): Promise<StartedAgent> {
    const out = openSync(opts.outputFile, 'a');
    const stdin = opts.stdinFile ? openSync(opts.stdinFile, 'r') : 'ignore';
    this.launching.add(agentId);
    return new Promise<StartedAgent>((resolve, reject) => {
      const child = spawn('/bin/sh', [this.wrapper, join(this.agentsDir, agentId), ...argv], { cwd: opts.cwd, env: opts.env, detached: true, stdio: [stdin, out, out] });
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
        // Its start time even if it already exited (a zombie keeps it): what later signals check.
        const w: Watched = { agentId, pid, pgid: pid, procStart: procIdentity(pid)?.start, adopted: false, deadlineMs: opts.deadlineMs, exited: false };
        this.watched.set(agentId, w);
        child.once('exit', (code, signal) => this.recordExit(w, { agentId, code, signal }));
        // The service must not wait for agents when it exits: they are meant to outlive it.
        child.unref();
        resolve({ pid, pgid: pid, procStart: w.procStart });
      });
    }).finally(() => this.launching.delete(agentId));
  }

  /** The launch of this agent is under way in this service (its PID is not yet recorded). */
  isLaunching(agentId: string): boolean {
    return this.launching.has(agentId);
  }

  /**
   * Re-adopts an agent started by an earlier service (same PID and start time). One that
   * already ended with an exit record is taken in with that exit (applied by the next tick):
   * it finished while no service watched it.
   */
  adopt(agentId: string, pid: number, pgid: number, procStart: string | undefined, deadlineMs: number | undefined): boolean {
    if (this.watched.has(agentId)) return true;
    const w: Watched = { agentId, pid, pgid, procStart, adopted: true, deadlineMs, exited: false };
    // An exit record means the command ended, whatever is left of the wrapper (it writes the
    // record just before it exits; unreaped, it is a zombie with no start time to check).
    const ended = !!readExitRecord(join(this.agentsDir, agentId));
    if (ended || !sameProcess(pid, procStart).alive) {
      if (!ended) return false;
      this.watched.set(agentId, w);
      this.recordExit(w, { agentId, code: null, signal: null, inferred: true });
      return true;
    }
    // Alive: only a record that provably names it (same PID and start time, leading the recorded
    // process group; checkSignalTarget), since every signal the supervisor sends later trusts it.
    if (!checkSignalTarget({ pid, pgid, procStart }).ok) return false;
    this.watched.set(agentId, w);
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

  /** The process groups of the agents watched (group → agent id): whose requests the socket refuses. */
  agentGroups(): Map<number, string> {
    return new Map([...this.watched.values()].filter((w) => !w.exited).map((w) => [w.pgid, w.agentId]));
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
      if (!groupIsOurs(w.pid, w.pgid, w.procStart, true)) return;
      await killGroup(w.pgid, this.killGraceMs, opts);
      // An adopted agent is not our child: its exit is only seen by polling.
      if (w.adopted && !sameProcess(w.pid, w.procStart).alive) this.recordExit(w, { agentId, code: null, signal: 'SIGKILL', inferred: true });
    })();
    return w.killing;
  }

  drainExits(): AgentExit[] {
    return this.exits.splice(0, this.exits.length);
  }

  /** Exits a tick could not apply: first in line for the next one. */
  requeueExits(exits: AgentExit[]): void {
    this.exits.unshift(...exits);
  }

  private recordExit(w: Watched, seen: AgentExit): void {
    if (w.exited) return;
    w.exited = true;
    // No orphaned grandchildren: whatever is left in the agent's group goes too.
    if (groupIsOurs(w.pid, w.pgid, w.procStart, true)) signalGroup(w.pgid, 'SIGKILL');
    // The wrapper's record is the command's own exit (the wrapper's mirrors it; an adopted
    // agent's is not ours to read). No record: the wrapper itself was killed.
    const rec = readExitRecord(join(this.agentsDir, w.agentId));
    const exit: AgentExit = rec ? { agentId: w.agentId, code: rec.code, signal: rec.signal as NodeJS.Signals | null, ...(rec.launch_error ? { launchError: rec.launch_error } : {}) } : seen;
    const e: AgentExit = { ...exit, ...(w.killedBy ? { killedBy: w.killedBy } : {}) };
    this.exits.push(e);
    this.watched.delete(w.agentId);
    this.onExit(e);
  }
}
