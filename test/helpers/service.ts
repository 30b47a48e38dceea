/**
 * Helpers for the service tests (test/service): a temp project with a short-timing config, a
 * private bin dir put first on the service's PATH (fake `claude` / `codex` go there), real
 * daemons started with the built `wg`, poll-waits with deadlines, and a cleanup that never
 * leaves a daemon, an agent or a grandchild behind (by PID / process group, never by name).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { graphTasks, tempProject, wg, wgAsync, type WgResult } from './wg.js';

export { groupMembers, pidAlive, processRunning, sleep } from './proc.js';
import { groupMembers, processRunning, safeKill, sleep } from './proc.js';

/** A PATH without anything the host may have installed as `claude`/`codex`: node + system dirs. */
export const SYSTEM_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws `what`). */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(intervalMs);
  }
}

/** `kill -0 -PGID`: true when the kernel still knows a process in the group (zombies included). */
export function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface AgentRec {
  id: string;
  pid?: number;
  pgid?: number;
  task_id: string;
  claim_epoch?: number;
  status: string;
  exit_code?: number | null;
  exit_reason?: string;
  executor?: string;
  model?: string;
  session_id?: string;
  token_usage?: Record<string, number>;
  [k: string]: unknown;
}

export type Task = Record<string, unknown> & { id: string; status: string };

export interface LogLine {
  event?: string;
  msg?: string;
  [k: string]: unknown;
}

export interface ServiceProjectOptions {
  /** Lines appended to `[dispatcher]` (besides the short-timing defaults). */
  dispatcher?: Record<string, string | number | boolean>;
  /** Extra TOML appended verbatim (e.g. `[executors.mine]`). */
  extraToml?: string;
}

const tomlValue = (v: string | number | boolean): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * A temp project for service tests. `env` is what every `wg` call here runs with: the project's
 * bin dir first on a minimal PATH, so a daemon started from it (and its agents) sees the fakes.
 */
export function serviceProject(opts: ServiceProjectOptions = {}) {
  const p = tempProject();
  const binDir = join(p.dir, 'fakebin');
  const work = join(p.dir, 'work'); // scratch space for marker files written by agents
  mkdirSync(binDir, { recursive: true });
  mkdirSync(work, { recursive: true });
  const daemonPids = new Set<number>();
  const extraPids = new Set<number>();
  let pathEnv = `${binDir}:${SYSTEM_PATH}`;

  const dispatcher: Record<string, string | number | boolean> = {
    executor: 'shell',
    max_agents: 4,
    poll_interval: '1s',
    kill_grace: '300ms',
    settling_delay: '0ms',
    heartbeat_timeout: '60s',
    ...opts.dispatcher,
  };
  const config = ['[dispatcher]', ...Object.entries(dispatcher).map(([k, v]) => `${k} = ${tomlValue(v)}`), '', opts.extraToml ?? ''].join('\n');
  writeFileSync(join(p.wgDir, 'config.toml'), config + '\n');

  const env = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({ PATH: pathEnv, ...extra });

  const self = {
    ...p,
    binDir,
    work,
    daemonPids,
    /** PIDs a test learned of (grandchildren, …): SIGKILLed in cleanup if still running. */
    extraPids,
    setPath(path: string): void {
      pathEnv = path;
    },
    run(args: string[], extra?: Record<string, string | undefined>): WgResult {
      return wg(p.dir, args, env(extra));
    },
    runAsync(args: string[], extra?: Record<string, string | undefined>): Promise<WgResult> {
      return wgAsync(p.dir, args, env(extra));
    },
    /** `wg …` that must succeed. */
    ok(args: string[], extra?: Record<string, string | undefined>): WgResult {
      const r = wg(p.dir, args, env(extra));
      if (r.code !== 0) throw new Error(`wg ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r;
    },
    /** A file in the scratch dir. */
    w(name: string): string {
      return join(work, name);
    },
    /** Writes an executable script (bash unless the text has its own #! line). */
    script(path: string, body: string): string {
      writeFileSync(path, body.startsWith('#!') ? body : `#!/bin/bash\n${body}`, { mode: 0o755 });
      chmodSync(path, 0o755);
      return path;
    },
    /** `wg service start`; records the daemon PID and how long start took. */
    start(args: string[] = []): { pid: number; ms: number; result: WgResult } {
      const t0 = performance.now();
      const result = wg(p.dir, ['service', 'start', '--json', ...args], env());
      const ms = performance.now() - t0;
      if (result.code !== 0) throw new Error(`wg service start exited ${result.code}: ${result.stderr}`);
      const pid = result.json<{ pid: number }>().pid;
      daemonPids.add(pid);
      return { pid, ms, result };
    },
    statePath: join(p.wgDir, 'service', 'state.json'),
    socketPath: join(p.wgDir, 'service', 'daemon.sock'),
    daemonLogPath: join(p.wgDir, 'service', 'daemon.log'),
    registryPath: join(p.wgDir, 'service', 'registry.json'),
    state(): { pid: number; socket_path: string; started_at: string } | undefined {
      try {
        return JSON.parse(readFileSync(self.statePath, 'utf8')) as { pid: number; socket_path: string; started_at: string };
      } catch {
        return undefined;
      }
    },
    tasks(): Task[] {
      return graphTasks(readFileSync(p.graphPath, 'utf8')) as Task[];
    },
    task(id: string): Task {
      const t = self.tasks().find((x) => x.id === id);
      if (!t) throw new Error(`no task ${id}`);
      return t;
    },
    agents(): Record<string, AgentRec> {
      try {
        return (JSON.parse(readFileSync(self.registryPath, 'utf8')) as { agents: Record<string, AgentRec> }).agents;
      } catch {
        return {};
      }
    },
    /** Agents of a task, oldest first. */
    agentsOf(taskId: string): AgentRec[] {
      return Object.values(self.agents())
        .filter((a) => a.task_id === taskId)
        .sort((a, b) => Number(a.id.slice(6)) - Number(b.id.slice(6)));
    },
    /** The agent of `taskId` once it runs (status working, pid known). */
    async runningAgent(taskId: string, timeoutMs = 10_000, notId?: string): Promise<AgentRec & { pid: number; pgid: number }> {
      return waitFor(
        `an agent working on ${taskId}${notId ? ` other than ${notId}` : ''}`,
        () => self.agentsOf(taskId).find((a) => a.status === 'working' && a.pid !== undefined && a.id !== notId) as (AgentRec & { pid: number; pgid: number }) | undefined,
        timeoutMs,
      );
    },
    async waitStatus(taskId: string, status: string | string[], timeoutMs = 10_000): Promise<Task> {
      const want = Array.isArray(status) ? status : [status];
      try {
        return await waitFor(`task ${taskId} to be ${want.join('|')}`, () => {
          const t = self.tasks().find((x) => x.id === taskId);
          return t && want.includes(t.status) ? t : undefined;
        }, timeoutMs);
      } catch (e) {
        const t = self.tasks().find((x) => x.id === taskId);
        throw new Error(`${(e as Error).message}; task is ${JSON.stringify(t)}\n--- daemon.log tail:\n${self.logTail(15)}`);
      }
    },
    log(): LogLine[] {
      if (!existsSync(self.daemonLogPath)) return [];
      return readFileSync(self.daemonLogPath, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
    },
    events(name: string): LogLine[] {
      return self.log().filter((l) => l.event === name);
    },
    logTail(n: number): string {
      return existsSync(self.daemonLogPath) ? readFileSync(self.daemonLogPath, 'utf8').trim().split('\n').slice(-n).join('\n') : '(no daemon.log)';
    },
    statusJson(): StatusJson {
      return self.ok(['service', 'status', '--json']).json<StatusJson>();
    },
    /**
     * Stops the service and kills everything it may have left: `service stop --kill-agents`,
     * SIGKILL of every daemon PID still alive, SIGKILL of every agent process group in the
     * registry and of every PID the test recorded; then removes the temp dir.
     */
    async cleanup(): Promise<void> {
      try {
        const s = self.state();
        if (s?.pid) daemonPids.add(s.pid);
        wg(p.dir, ['service', 'stop', '--kill-agents'], env());
      } catch {
        // fall through to the hard kills
      }
      for (const pid of daemonPids) if (processRunning(pid)) safeKill(pid);
      for (const a of Object.values(self.agents())) {
        const pg = a.pgid ?? a.pid;
        if (pg && groupMembers(pg).length) safeKill(-pg);
      }
      for (const pid of extraPids) if (processRunning(pid)) safeKill(pid);
      p.cleanup();
    },
  };
  return self;
}

export type ServiceProject = ReturnType<typeof serviceProject>;

export interface StatusJson {
  running: boolean;
  service: Record<string, unknown> | null;
  paused: boolean;
  max_agents: number;
  agents_alive: Array<{ id: string; task: string; pid: number | null }>;
  ready: number;
  waiting: Array<{ kind: string; tasks: string[]; message: string; fix: string }>;
}


/** Reads a file written by an agent (undefined until it exists). */
export function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Removes a path, ignoring absence. */
export function rm(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
