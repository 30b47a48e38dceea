/**
 * The service built in-process (not as a `wg service daemon` subprocess), on an injected clock:
 * its typed events are collected in order, and a test can advance time instead of sleeping on a
 * real timeout. Agents are real processes; the `wg` they call is the built dist/wg.mjs.
 */
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { Daemon } from '../../src/service/daemon.js';
import type { ServiceEvent, ServiceEventMap, ServiceEventName } from '../../src/service/events.js';
import { pathsFor } from '../../src/store/paths.js';
import { readIf } from './files.js';
import { serviceProject, type ProjectOptions, type ServiceProject } from './project.js';
import { waitFor } from './proc.js';
import { WG_BIN } from './wg.js';

/**
 * Real time plus an offset the test moves forward by hand. It runs with real time (the `wg`
 * commands the test runs stamp real time, and a clock standing still would hold every task
 * created after it in its settling delay); `advance` jumps it ahead — to a hard timeout, past a
 * lease — without waiting.
 */
export class TestClock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export type Seen = ServiceEvent & { at: number };

export interface InProcessService {
  daemon: Daemon;
  clock: TestClock;
  /** Every event so far, in emission order. */
  events: Seen[];
  /** The events named `name` (optionally matching `where`), in order. */
  of<K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>): Array<ServiceEventMap[K]>;
  /** Waits for the first event named `name` matching `where` after index `from`; returns it. */
  next<K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>, from?: number, timeoutMs?: number): Promise<ServiceEventMap[K]>;
  /** Stops the in-process service (agents killed), waiting until it is down. */
  stop(): Promise<void>;
}

const matches = (data: object, where: object | undefined): boolean => !where || Object.entries(where).every(([k, v]) => (data as Record<string, unknown>)[k] === v);

/** Builds and runs the daemon for project `p` in this process. */
export async function inProcessService(p: ServiceProject): Promise<InProcessService> {
  const clock = new TestClock();
  let stopped: () => void = () => undefined;
  const down = new Promise<void>((r) => (stopped = r));
  const daemon = new Daemon(pathsFor(p.wgDir), { clock, wgEntry: WG_BIN, exit: () => stopped(), handleSignals: false });
  const events: Seen[] = [];
  daemon.events.onAny((e) => events.push({ ...e, at: events.length }));
  if (!daemon.acquire()) throw new Error('another service holds this workgraph');
  await daemon.run();
  const of = <K extends ServiceEventName>(name: K, where?: Partial<ServiceEventMap[K]>): Array<ServiceEventMap[K]> =>
    events.filter((e) => e.event === name && matches(e.data, where)).map((e) => e.data as ServiceEventMap[K]);
  return {
    daemon,
    clock,
    events,
    of,
    next: (name, where, from = 0, timeoutMs = 10_000) =>
      waitFor(`event ${name} ${JSON.stringify(where ?? {})}`, () => events.slice(from).find((e) => e.event === name && matches(e.data, where))?.data as never, timeoutMs),
    async stop() {
      await daemon.shutdown(true);
      await down;
    },
  };
}

/**
 * Each test's project and in-process service, cleaned up after it. Call once in a describe (or at
 * file level): it registers the afterEach that stops the service (its agents killed, whatever the
 * test's outcome) and then removes every project the test made.
 *
 *   const svc = serviceHarness();
 *   it('…', async () => {
 *     const p = svc.project({ dispatcher: { max_agents: 1 } });
 *     const s = await svc.start(p);
 *     …
 */
export interface ServiceHarness {
  /** A service project (serviceProject(opts)) for this test, removed after it. */
  project(opts?: Omit<ProjectOptions, 'fakeBin'>): ServiceProject;
  /** Any other project (or temp dir) this test made, removed after it. */
  track<P extends { cleanup(): unknown }>(p: P): P;
  /** The in-process service on `p`, stopped after the test (a test may stop it earlier). */
  start(p: ServiceProject): Promise<InProcessService>;
}

export function serviceHarness(): ServiceHarness {
  let services: InProcessService[] = [];
  let owned: Array<{ cleanup(): unknown }> = [];
  afterEach(async () => {
    const [ss, ps] = [services, owned];
    services = [];
    owned = [];
    const errors: unknown[] = [];
    // Stopped before their projects go: an agent still writing in a removed dir is a race.
    for (const s of ss) await s.stop().catch((e: unknown) => errors.push(e));
    for (const p of ps.reverse()) await Promise.resolve(p.cleanup()).catch((e: unknown) => errors.push(e));
    if (errors.length) throw errors[0];
  });
  const track = <P extends { cleanup(): unknown }>(p: P): P => {
    owned.push(p);
    return p;
  };
  return {
    project: (opts) => track(serviceProject(opts)),
    track,
    async start(p) {
      const s = await inProcessService(p);
      services.push(s);
      return s;
    },
  };
}

/** What `agent:exited`, `agent:killed` and `claim:reclaimed` add to a story line. */
function detail(event: string, d: Record<string, unknown>): string {
  if (event === 'agent:exited') return `${String(d.action)}${d.killedBy ? `/${String(d.killedBy)}` : ''}`;
  if (event === 'agent:killed') return String(d.reason);
  if (event === 'claim:reclaimed') return d.failed ? 'failed' : 'requeued';
  return '';
}

/**
 * The events about `task` in order, as `event agent detail` strings (ticks have no task: left
 * out). With `only`: just those events, and also the ones of the task's agents that do not name
 * the task (the worktree events).
 */
export function story(s: InProcessService, task: string, only?: ReadonlySet<string>): string[] {
  const agents = new Set<string>();
  const out: string[] = [];
  for (const { event, data } of s.events) {
    if (only && !only.has(event)) continue;
    const d = data as Record<string, unknown>;
    if (d.task === task && typeof d.agent === 'string') agents.add(d.agent);
    if (d.task !== task && !(only && typeof d.agent === 'string' && agents.has(d.agent))) continue;
    out.push([event, d.agent, detail(event, d)].filter(Boolean).join(' '));
  }
  return out;
}

/** Asks for one tick and waits until a tick (that one or a later one) has ended. */
export async function oneTick(s: InProcessService): Promise<void> {
  const ticks = s.of('tick:done').length;
  s.daemon.requestTick(0);
  await waitFor('a tick', () => s.of('tick:done').length > ticks);
}

/**
 * A real service (`wg service start`) running two agents (tasks b1, b2) that ignore SIGTERM, each
 * with a `sleep 300` grandchild: what `stop --kill-agents` must leave nothing of. The
 * grandchildren are tracked (killed in cleanup if a test fails before it checks them).
 */
type RunningAgent = Awaited<ReturnType<ServiceProject['runningAgent']>>;

export async function busyAgentsWithGrandchildren(p: ServiceProject): Promise<{ pid: number; agents: [RunningAgent, RunningAgent]; kids: number[] }> {
  const agent = p.script(
    p.w('busy.sh'),
    `trap '' TERM
sleep 300 &
echo $! >> "${p.w('kids-')}$WG_TASK_ID"
while :; do sleep 0.05; done
`,
  );
  p.ok(['add', 'Busy one', '--id', 'b1', '--exec', `bash ${agent}`]);
  p.ok(['add', 'Busy two', '--id', 'b2', '--exec', `bash ${agent}`]);
  const { pid } = p.start();
  const agents: [RunningAgent, RunningAgent] = [await p.runningAgent('b1'), await p.runningAgent('b2')];
  await waitFor('grandchildren started', () => readIf(p.w('kids-b1')) && readIf(p.w('kids-b2')));
  const kids = ['b1', 'b2'].map((t) => Number(readFileSync(p.w(`kids-${t}`), 'utf8').trim()));
  for (const k of kids) p.track(k);
  return { pid, agents, kids };
}
