/**
 * The one project builder: a temp directory with `wg init` done, and everything a test does
 * with it — run `wg` (sync, async, or that must succeed), read and seed its files, start a real
 * service, wait for tasks and agents, start stand-in "agent" processes — and one `cleanup()`
 * that never leaves a daemon, an agent, a grandchild or the directory behind (by PID / process
 * group, never by name). Presets: `serviceProject` (service tests: short timings, a private bin
 * dir for fake `claude`/`codex` first on a minimal PATH) and `recoveryProject`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { daemonLogPath, graphTasks, readDaemonLog, readRegistry, registryPath, seedGraph, writeRegistry, type AgentRecord, type LogLine, type TaskLine, type TaskSeed } from './files.js';
import { groupMembers, procStat, processRunning, safeKill, waitFor } from './proc.js';
import { assertRustLoadable, rustLoadProblems } from './rust-loadable.js';
import { wg, wgAsync, type WgResult } from './wg.js';

/** A PATH without anything the host may have installed as `claude`/`codex`: node + system dirs. */
export const SYSTEM_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

export interface ProjectOptions {
  /** Write a service config: short timings (shell executor, 1 s poll, no settling) plus these `[dispatcher]` keys. */
  dispatcher?: Record<string, string | number | boolean>;
  /** Extra TOML appended to that config verbatim (e.g. `[executors.mine]`). */
  extraToml?: string;
  /** Every `wg` call runs with `binDir` first on a minimal PATH (fakes of `claude`/`codex` go there). */
  fakeBin?: boolean;
}

export interface StatusJson {
  running: boolean;
  service: Record<string, unknown> | null;
  paused: boolean;
  max_agents: number;
  agents_alive: Array<{ id: string; task: string; pid: number | null }>;
  ready: number;
  waiting: Array<{ kind: string; tasks: string[]; message: string; fix: string }>;
}

const tomlValue = (v: string | number | boolean): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

// poll_interval in whole seconds: the Rust tool's type (wg reads both spellings).
const SERVICE_TIMINGS = { executor: 'shell', max_agents: 4, poll_interval: 1, kill_grace: '500ms', settling_delay: '0ms', heartbeat_timeout: '60s' };

function initDir(): string {
  return mkdtempSync(join(tmpdir(), 'wg-test-'));
}

function build(dir: string, opts: ProjectOptions) {
  const wgDir = join(dir, '.wg');
  const graphPath = join(wgDir, 'graph.jsonl');
  const binDir = join(dir, 'fakebin');
  const work = join(dir, 'work'); // scratch space for marker files written by agents (made on first use)
  if (opts.fakeBin) mkdirSync(binDir, { recursive: true });
  if (opts.dispatcher || opts.extraToml !== undefined) {
    const d = { ...SERVICE_TIMINGS, ...opts.dispatcher };
    writeFileSync(join(wgDir, 'config.toml'), ['[dispatcher]', ...Object.entries(d).map(([k, v]) => `${k} = ${tomlValue(v)}`), '', opts.extraToml ?? ''].join('\n') + '\n');
  }
  /** Why this test leaves files the Rust tool cannot load (set by `rustUnloadable`), else undefined. */
  let unloadableOnPurpose: string | undefined;
  const daemonPids = new Set<number>();
  /** PIDs a test learned of (grandchildren, stand-in agents): SIGKILLed in cleanup if still running. */
  const extraPids = new Set<number>();
  const groups = new Set<number>();
  let pathEnv: string | undefined = opts.fakeBin ? `${binDir}:${SYSTEM_PATH}` : undefined;
  const env = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => (pathEnv ? { PATH: pathEnv, ...extra } : extra);

  const self = {
    dir,
    wgDir,
    graphPath,
    binDir,
    work,
    daemonPids,
    extraPids,
    statePath: join(wgDir, 'service', 'state.json'),
    socketPath: join(wgDir, 'service', 'daemon.sock'),
    daemonLogPath: daemonLogPath(wgDir),
    registryPath: registryPath(wgDir),
    setPath(path: string): void {
      pathEnv = path;
    },
    /** `wg args…`, synchronously. */
    run(args: string[], extra?: Record<string, string | undefined>): WgResult {
      return wg(dir, args, env(extra));
    },
    /** `wg args…`, without blocking the test worker (concurrent tests overlap their waits). */
    wg(args: string[], extra?: Record<string, string | undefined>): Promise<WgResult> {
      return wgAsync(dir, args, env(extra));
    },
    /** `wg …` that must succeed. */
    ok(args: string[], extra?: Record<string, string | undefined>): WgResult {
      const r = wg(dir, args, env(extra));
      if (r.code !== 0) throw new Error(`wg ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r;
    },
    /** `wg add "Task ID" --id ID …` */
    add(id: string, extra: string[] = []): void {
      self.ok(['add', `Task ${id}`, '--id', id, ...extra]);
    },
    /**
     * A task taken through the CLI to its end: `wg add TITLE --id ID [add…]`, `wg claim ID`, then
     * `wg done ID` — or `wg fail ID --reason R` with `fail`. With `as`, that user claims it
     * (`--actor`) and finishes it (WG_USER).
     */
    addFinished(id: string, title: string, opts: { add?: string[]; fail?: string; as?: string } = {}): void {
      self.ok(['add', title, '--id', id, ...(opts.add ?? [])]);
      self.ok(['claim', id, ...(opts.as ? ['--actor', opts.as] : [])]);
      self.ok(opts.fail !== undefined ? ['fail', id, '--reason', opts.fail] : ['done', id], opts.as ? { WG_USER: opts.as } : undefined);
    },
    /** A file in the scratch dir. */
    w(name: string): string {
      mkdirSync(work, { recursive: true });
      return join(work, name);
    },
    /** Writes an executable script (bash unless the text has its own #! line). */
    script(path: string, body: string): string {
      writeFileSync(path, body.startsWith('#!') ? body : `#!/bin/bash\n${body}`, { mode: 0o755 });
      chmodSync(path, 0o755);
      return path;
    },
    readGraph(): string {
      return readFileSync(graphPath, 'utf8');
    },
    /** Writes graph.jsonl directly (exact states: stale claims, epochs, …). */
    seed(tasks: TaskSeed[]): string {
      return seedGraph(graphPath, tasks);
    },
    tasks(): TaskLine[] {
      return graphTasks(self.readGraph());
    },
    task(id: string): TaskLine {
      const t = self.tasks().find((x) => x.id === id);
      if (!t) throw new Error(`no task ${id}`);
      return t;
    },
    /** The raw graph.jsonl line of a task (for byte-for-byte comparisons). */
    line(id: string): string {
      const l = self
        .readGraph()
        .split('\n')
        .find((x) => x.includes(`"id":${JSON.stringify(id)}`));
      if (!l) throw new Error(`no line for ${id}`);
      return l;
    },
    agents(): Record<string, AgentRecord> {
      return readRegistry(wgDir);
    },
    /** Agents of a task, oldest first. */
    agentsOf(taskId: string): AgentRecord[] {
      return Object.values(self.agents())
        .filter((a) => a.task_id === taskId)
        .sort((a, b) => Number(a.id.slice(6)) - Number(b.id.slice(6)));
    },
    /** Writes the registry: agents of this host, started 5 s ago, working, unless given. */
    writeRegistry(agents: Array<Partial<AgentRecord> & { id: string; task_id: string }>, nextAgentId?: number): void {
      writeRegistry(wgDir, agents, { defaults: { host: hostname(), started_at: new Date(Date.now() - 5_000).toISOString() }, ...(nextAgentId !== undefined ? { nextAgentId } : {}) });
    },
    /** `wg service start`; records the daemon PID and how long start took. */
    start(args: string[] = []): { pid: number; ms: number; result: WgResult } {
      const t0 = performance.now();
      const result = wg(dir, ['service', 'start', '--json', ...args], env());
      const ms = performance.now() - t0;
      if (result.code !== 0) throw new Error(`wg service start exited ${result.code}: ${result.stderr}`);
      const pid = result.json<{ pid: number }>().pid;
      daemonPids.add(pid);
      return { pid, ms, result };
    },
    state(): { pid: number; socket_path: string; started_at: string } | undefined {
      try {
        return JSON.parse(readFileSync(self.statePath, 'utf8')) as { pid: number; socket_path: string; started_at: string };
      } catch {
        return undefined;
      }
    },
    statusJson(): StatusJson {
      return self.ok(['service', 'status', '--json']).json<StatusJson>();
    },
    log(): LogLine[] {
      return readDaemonLog(wgDir);
    },
    events(name: string): LogLine[] {
      return self.log().filter((l) => l.event === name);
    },
    logTail(n: number): string {
      return existsSync(self.daemonLogPath) ? readFileSync(self.daemonLogPath, 'utf8').trim().split('\n').slice(-n).join('\n') : '(no daemon.log)';
    },
    /** The task, its agents and the end of daemon.log: what a failed wait prints. */
    diagnostics(taskId?: string): string {
      const t = taskId ? self.tasks().find((x) => x.id === taskId) : undefined;
      return `task: ${JSON.stringify(t)}\nagents: ${JSON.stringify(taskId ? self.agentsOf(taskId) : self.agents())}\n--- daemon.log tail:\n${self.logTail(12)}`;
    },
    /** The agent of `taskId` once it runs (working, its process alive), other than the `not` ones. */
    async runningAgent(taskId: string, opts: { not?: string[]; timeoutMs?: number } = {}): Promise<AgentRecord & { pid: number; pgid: number }> {
      const not = opts.not ?? [];
      const a = await waitFor(
        `a running agent on ${taskId}${not.length ? ` other than ${not.join(', ')}` : ''}`,
        () => self.agentsOf(taskId).find((x) => x.status === 'working' && x.pid !== undefined && !not.includes(x.id) && processRunning(x.pid)),
        opts.timeoutMs ?? 10_000,
        20,
        () => self.diagnostics(taskId),
      );
      groups.add(a.pgid ?? a.pid!);
      return a as AgentRecord & { pid: number; pgid: number };
    },
    /** Waits until the task satisfies `pred`. */
    async waitTask(id: string, pred: (t: TaskLine) => boolean, what: string, timeoutMs = 10_000): Promise<TaskLine> {
      return waitFor(
        `${id}: ${what}`,
        () => {
          const t = self.tasks().find((x) => x.id === id);
          return t && pred(t) ? t : undefined;
        },
        timeoutMs,
        20,
        () => self.diagnostics(id),
      );
    },
    /** Waits until the task has one of the statuses. */
    async waitStatus(id: string, status: string | string[], timeoutMs = 10_000): Promise<TaskLine> {
      const want = Array.isArray(status) ? status : [status];
      return self.waitTask(id, (t) => want.includes(t.status), `to be ${want.join('|')}`, timeoutMs);
    },
    /** Waits until the service has completed `n` more ticks than now. */
    async ticks(n = 2, timeoutMs = 10_000): Promise<void> {
      const base = self.events('tick:done').length;
      await waitFor(`${n} more service ticks`, () => self.events('tick:done').length >= base + n, timeoutMs);
    },
    /** Starts `sleep 300` in its own process group: a "live agent" nobody supervises. */
    liveProcess(): { pid: number; pgid: number; procStart: string } {
      const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      child.unref();
      const pid = child.pid!;
      extraPids.add(pid);
      groups.add(pid);
      const st = procStat(pid);
      if (!st) throw new Error('live process vanished');
      return { pid, pgid: pid, procStart: st.start };
    },
    /** A PID to SIGKILL at cleanup if still running. */
    track(pid: number): void {
      extraPids.add(pid);
    },
    /**
     * This test writes files the Rust tool cannot load on purpose (a corrupt line, a value only an
     * older wg wrote): cleanup then skips the loadability check of everything left behind.
     */
    rustUnloadable(why: string): void {
      unloadableOnPurpose = why;
    },
    /**
     * Stops a service this project ran (`service stop --kill-agents`), SIGKILLs every daemon PID
     * still alive, every agent process group in the registry, every group and PID the test
     * recorded; then removes the directory.
     */
    cleanup(): void {
      const s = self.state();
      if (s?.pid) daemonPids.add(s.pid);
      if (daemonPids.size) {
        try {
          wg(dir, ['service', 'stop', '--kill-agents'], env());
        } catch {
          // the hard kills below
        }
      }
      for (const pid of daemonPids) if (processRunning(pid)) safeKill(pid);
      // A registry may hold poisoned records on purpose (issue 14): group 1 would be kill(-1),
      // this process's own group would end the test run. Only an agent's own group is killed.
      const own = procStat(process.pid)?.pgrp;
      for (const a of Object.values(self.agents())) {
        const g = a.pgid ?? a.pid;
        if (g && g > 1 && g === a.pid && g !== own && groupMembers(g).length) safeKill(-g);
      }
      for (const g of groups) if (groupMembers(g).length) safeKill(-g);
      for (const pid of extraPids) if (processRunning(pid)) safeKill(pid);
      // Everything wg left behind must be loadable by the Rust tool (checked before removal).
      const problems = unloadableOnPurpose === undefined ? rustLoadProblems(dir) : [];
      rmSync(dir, { recursive: true, force: true });
      assertRustLoadable(problems);
    },
  };
  return self;
}

export type Project = ReturnType<typeof build>;

/** A temp project with `wg init` done. Call `cleanup()` in afterEach/finally. */
export function project(opts: ProjectOptions = {}): Project {
  const dir = initDir();
  const init = wg(dir, ['init']);
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wg init failed: ${init.stderr}`);
  }
  return build(dir, opts);
}

/** Like project(), but `wg init` runs without blocking the test worker. */
export async function projectAsync(opts: ProjectOptions = {}): Promise<Project> {
  const dir = initDir();
  const init = await wgAsync(dir, ['init']);
  if (init.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wg init failed: ${init.stderr}`);
  }
  return build(dir, opts);
}

/** Service tests: short timings (kill_grace 300 ms), fake agent CLIs in `binDir`, a minimal PATH. */
export function serviceProject(opts: Omit<ProjectOptions, 'fakeBin'> = {}): Project {
  return project({ ...opts, dispatcher: { kill_grace: '300ms', ...opts.dispatcher }, fakeBin: true });
}

/** Recovery scenarios: short timings (kill_grace 500 ms), the host's PATH. */
export function recoveryProject(opts: Pick<ProjectOptions, 'dispatcher'> = {}): Project {
  return project({ dispatcher: { ...opts.dispatcher } });
}

export type ServiceProject = Project;
export type RecoveryProject = Project;

/**
 * A bare temp directory (no `wg init`). Call `cleanup()` in afterEach/finally; like a project's,
 * it checks that every graph, registry and service state left in it is loadable by the Rust tool
 * (`rustUnloadable(why)` skips that).
 */
export function bareTempDir(): { dir: string; cleanup: () => void; rustUnloadable: (why: string) => void } {
  const dir = initDir();
  let skip: string | undefined;
  return {
    dir,
    rustUnloadable: (why) => void (skip = why),
    cleanup: () => {
      const problems = skip === undefined ? rustLoadProblems(dir) : [];
      rmSync(dir, { recursive: true, force: true });
      assertRustLoadable(problems);
    },
  };
}

/**
 * Temp directories owned by the test that made them, removed in that test's afterEach (safe
 * with concurrent tests):
 *   const tmp = tempDirsPerTest(); afterEach((ctx) => tmp.cleanup(ctx));
 *   it('…', async (ctx) => { const q = await tmp.project(ctx); … });
 */
export function tempDirsPerTest(): {
  project: (ctx: { task: { id: string } }, opts?: ProjectOptions) => Promise<Project>;
  bare: (ctx: { task: { id: string } }) => { dir: string; cleanup: () => void; rustUnloadable: (why: string) => void };
  cleanup: (ctx: { task: { id: string } }) => void;
} {
  const owned = new Map<string, Array<() => void>>();
  const own = (ctx: { task: { id: string } }, fn: () => void): void => {
    const list = owned.get(ctx.task.id) ?? [];
    list.push(fn);
    owned.set(ctx.task.id, list);
  };
  return {
    async project(ctx, opts) {
      const q = await projectAsync(opts);
      own(ctx, q.cleanup);
      return q;
    },
    bare(ctx) {
      const b = bareTempDir();
      own(ctx, b.cleanup);
      return b;
    },
    cleanup(ctx) {
      // Every directory is removed even when a check fails; the first failure is reported.
      let failure: unknown;
      for (const fn of owned.get(ctx.task.id) ?? []) {
        try {
          fn();
        } catch (e) {
          failure ??= e;
        }
      }
      owned.delete(ctx.task.id);
      if (failure) throw failure;
    },
  };
}
