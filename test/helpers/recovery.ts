/**
 * Helpers for the recovery scenarios (test/recovery) and the recovery benchmarks: a temp project
 * with a shell-executor config and short timings, a real service, real agent processes,
 * processes we start ourselves (a "live agent" without a service, a PID that is certainly dead),
 * poll-waits with deadlines, and a cleanup that kills everything by PID / process group (never
 * by name) and removes the temp directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { graphTasks, seedGraph, tempProject, wg, wgAsync, type WgResult } from './wg.js';

export { groupMembers, sleep } from './proc.js';
import { groupMembers, procStat, processRunning as running, safeKill, sleep } from './proc.js';
export { running };

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10_000, intervalMs = 25, explain?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${explain ? `\n${explain()}` : ''}`);
    await sleep(intervalMs);
  }
}

export function deadPid(): number {
  const r = spawnSync('true');
  const pid = r.pid;
  if (!pid || running(pid)) throw new Error('could not obtain a dead PID');
  return pid;
}

export interface AgentRec {
  id: string;
  pid?: number;
  pgid?: number;
  proc_start?: string;
  task_id: string;
  claim_epoch?: number;
  status: string;
  exit_code?: number | null;
  exit_reason?: string;
  started_at?: string;
  completed_at?: string;
  [k: string]: unknown;
}

export type TaskLine = Record<string, unknown> & { id: string; status: string; assigned?: string; claim_epoch?: number; retry_count?: number; paused?: boolean; log?: Array<{ timestamp: string; actor?: string; message: string }> };

export interface RecoveryProjectOptions {
  /** Extra / overriding `[dispatcher]` keys. */
  dispatcher?: Record<string, string | number | boolean>;
}

const tomlValue = (v: string | number | boolean): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

export function recoveryProject(opts: RecoveryProjectOptions = {}) {
  const p = tempProject();
  const work = join(p.dir, 'work');
  mkdirSync(work, { recursive: true });
  const pids = new Set<number>(); // processes to SIGKILL at cleanup
  const groups = new Set<number>(); // process groups to SIGKILL at cleanup
  const daemonPids = new Set<number>();
  const dispatcher: Record<string, string | number | boolean> = {
    executor: 'shell',
    max_agents: 4,
    poll_interval: '1s',
    kill_grace: '500ms',
    settling_delay: '0ms',
    heartbeat_timeout: '60s',
    ...opts.dispatcher,
  };
  writeFileSync(join(p.wgDir, 'config.toml'), ['[dispatcher]', ...Object.entries(dispatcher).map(([k, v]) => `${k} = ${tomlValue(v)}`)].join('\n') + '\n');
  const registryPath = join(p.wgDir, 'service', 'registry.json');
  const daemonLog = join(p.wgDir, 'service', 'daemon.log');

  const self = {
    ...p,
    work,
    registryPath,
    daemonLog,
    /** A path in the scratch dir (agents write markers there). */
    w: (name: string): string => join(work, name),
    run: (args: string[], env?: Record<string, string | undefined>): WgResult => wg(p.dir, args, env),
    runAsync: (args: string[], env?: Record<string, string | undefined>): Promise<WgResult> => wgAsync(p.dir, args, env ?? {}),
    ok(args: string[], env?: Record<string, string | undefined>): WgResult {
      const r = wg(p.dir, args, env);
      if (r.code !== 0) throw new Error(`wg ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r;
    },
    /** `wg add TITLE --id ID …` */
    add(id: string, extra: string[] = []): void {
      self.ok(['add', `Task ${id}`, '--id', id, ...extra]);
    },
    /** Writes graph.jsonl directly (exact states: stale claims, epochs, …). */
    seed(tasks: Array<Record<string, unknown> & { id: string }>): void {
      seedGraph(p.graphPath, tasks);
    },
    start(): number {
      const r = wg(p.dir, ['service', 'start', '--json']);
      if (r.code !== 0) throw new Error(`wg service start exited ${r.code}: ${r.stderr}`);
      const pid = r.json<{ pid: number }>().pid;
      daemonPids.add(pid);
      return pid;
    },
    tasks(): TaskLine[] {
      return graphTasks(readFileSync(p.graphPath, 'utf8')) as TaskLine[];
    },
    task(id: string): TaskLine {
      const t = self.tasks().find((x) => x.id === id);
      if (!t) throw new Error(`no task ${id}`);
      return t;
    },
    /** The raw graph.jsonl line of a task (for byte-for-byte comparisons). */
    line(id: string): string {
      const l = readFileSync(p.graphPath, 'utf8')
        .split('\n')
        .find((x) => x.includes(`"id":${JSON.stringify(id)}`));
      if (!l) throw new Error(`no line for ${id}`);
      return l;
    },
    agents(): Record<string, AgentRec> {
      try {
        return (JSON.parse(readFileSync(registryPath, 'utf8')) as { agents: Record<string, AgentRec> }).agents;
      } catch {
        return {};
      }
    },
    agentsOf(taskId: string): AgentRec[] {
      return Object.values(self.agents())
        .filter((a) => a.task_id === taskId)
        .sort((a, b) => Number(a.id.slice(6)) - Number(b.id.slice(6)));
    },
    /** Waits for an agent of `taskId` that is working with a live PID, other than `not`. */
    async agentRunning(taskId: string, not: string[] = [], timeoutMs = 10_000): Promise<AgentRec & { pid: number; pgid: number }> {
      const a = await until(
        `a running agent on ${taskId}${not.length ? ` other than ${not.join(', ')}` : ''}`,
        () => self.agentsOf(taskId).find((x) => x.status === 'working' && x.pid !== undefined && !not.includes(x.id) && running(x.pid)),
        timeoutMs,
        20,
        () => self.diagnostics(taskId),
      );
      groups.add(a.pgid ?? a.pid!);
      return a as AgentRec & { pid: number; pgid: number };
    },
    async waitTask(id: string, pred: (t: TaskLine) => boolean, what: string, timeoutMs = 10_000): Promise<TaskLine> {
      return until(`${id}: ${what}`, () => {
        const t = self.tasks().find((x) => x.id === id);
        return t && pred(t) ? t : undefined;
      }, timeoutMs, 20, () => self.diagnostics(id));
    },
    events(name: string): Array<Record<string, unknown>> {
      if (!existsSync(daemonLog)) return [];
      return readFileSync(daemonLog, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.event === name);
    },
    /** Waits until the service has completed `n` more ticks than now. */
    async ticks(n = 2, timeoutMs = 10_000): Promise<void> {
      const base = self.events('tick:done').length;
      await until(`${n} more service ticks`, () => self.events('tick:done').length >= base + n, timeoutMs);
    },
    diagnostics(taskId?: string): string {
      const t = taskId ? self.tasks().find((x) => x.id === taskId) : undefined;
      const log = existsSync(daemonLog) ? readFileSync(daemonLog, 'utf8').trim().split('\n').slice(-12).join('\n') : '(no daemon.log)';
      return `task: ${JSON.stringify(t)}\nagents: ${JSON.stringify(taskId ? self.agentsOf(taskId) : self.agents())}\n--- daemon.log tail:\n${log}`;
    },
    /** Starts `sleep 300` in its own process group, as a "live agent" nobody supervises. */
    liveProcess(): { pid: number; pgid: number; procStart: string } {
      const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      child.unref();
      const pid = child.pid!;
      pids.add(pid);
      groups.add(pid);
      const st = procStat(pid);
      if (!st) throw new Error('live process vanished');
      return { pid, pgid: pid, procStart: st.start };
    },
    /** Writes the registry with the given agents (status working and this host unless given). */
    writeRegistry(agents: Array<Partial<AgentRec> & { id: string; task_id: string }>, nextAgentId?: number): void {
      mkdirSync(join(p.wgDir, 'service'), { recursive: true });
      const reg = {
        agents: Object.fromEntries(
          agents.map((a) => [a.id, { executor: 'shell', started_at: new Date(Date.now() - 5_000).toISOString(), status: 'working', host: hostname(), claim_epoch: 1, ...a }]),
        ),
        next_agent_id: nextAgentId ?? Math.max(0, ...agents.map((a) => Number(a.id.slice(6)))) + 1,
      };
      writeFileSync(registryPath, JSON.stringify(reg, null, 2) + '\n');
    },
    track(pid: number): void {
      pids.add(pid);
    },
    /** Stops the service, kills every process and group it or the test started, removes the dir. */
    async cleanup(): Promise<void> {
      try {
        const state = JSON.parse(readFileSync(join(p.wgDir, 'service', 'state.json'), 'utf8')) as { pid?: number };
        if (state.pid) daemonPids.add(state.pid);
      } catch {
        // no state file
      }
      try {
        if (daemonPids.size) wg(p.dir, ['service', 'stop', '--kill-agents']);
      } catch {
        // hard kills below
      }
      for (const pid of daemonPids) if (running(pid)) safeKill(pid);
      for (const a of Object.values(self.agents())) {
        const g = a.pgid ?? a.pid;
        if (g && groupMembers(g).length) safeKill(-g);
      }
      for (const g of groups) if (groupMembers(g).length) safeKill(-g);
      for (const pid of pids) if (running(pid)) safeKill(pid);
      p.cleanup();
    },
  };
  return self;
}

export type RecoveryProject = ReturnType<typeof recoveryProject>;
