import type { Command } from 'commander';
import type { Clock } from '../../core/time.js';
import { usageError, WgError } from '../../core/errors.js';
import { decideDispatch } from '../../core/plans/dispatch.js';
import { formatAge, parseTimestamp } from '../../core/time.js';
import { formatSpan } from '../../core/idle.js';
import { explainFailedBlockers, explainWaiting } from '../../render/service-status.js';
import { blockedBehindFailed } from '../../core/blockers.js';
import { awaitingHuman } from '../../core/human.js';
import { unmergedWork } from '../../store/worktrees.js';
import type { AgentRecord } from '../../store/registry.js';
import { registryLiveness } from '../../agents/liveness.js';
import { BUILTIN_EXECUTORS, runnableExecutor } from '../../agents/executors/index.js';
import { ROOT_REFUSAL_FIX } from '../../agents/executors/stream.js';
import type { Settings } from '../../settings.js';
import { request } from '../../service/ipc.js';
import { ping, startService, stopService } from '../../service/control.js';
import { readPaused, readServiceStateFile, writePaused, type ServiceOverrides } from '../../service/service-files.js';
import { CliContext } from '../context.js';
import { killLeftAgents, localAliveAgents } from '../kill-all-agents.js';
import { parseCount, parseDurationFlag } from '../parse.js';
import { parseDurationMs } from '../../core/time.js';
import { join } from 'node:path';

interface StartFlags {
  maxAgents?: string;
  interval?: string;
  executor?: string;
  model?: string;
  foreground?: boolean;
}

function overridesFrom(f: StartFlags): ServiceOverrides {
  const o: ServiceOverrides = {};
  if (f.maxAgents !== undefined) o.max_agents = parseCount('--max-agents', f.maxAgents);
  if (f.interval !== undefined) o.poll_interval_ms = parseDurationMs(parseDurationFlag('--interval', f.interval))!;
  if (f.executor !== undefined) o.executor = f.executor;
  if (f.model !== undefined) o.model = f.model;
  return o;
}


/**
 * `service start`/`restart` refuse an executor nobody can run: a typo in --executor (usage, exit
 * 2) or in [dispatcher] executor (exit 1), naming the ones that exist.
 */
function requireKnownExecutor(settings: Settings, overrides: ServiceOverrides, configPath: string): void {
  const name = settings.dispatcher.executor;
  const known = [...BUILTIN_EXECUTORS, ...Object.keys(settings.executors)];
  if (known.includes(name)) return;
  const list = known.join(', ');
  if (overrides.executor !== undefined) throw usageError(`unknown executor '${name}' for --executor (known: ${list})`, `wg service start --executor shell, or define [executors.${name}] in ${configPath}`);
  throw new WgError('invalid_config', `${configPath}: [dispatcher] executor = '${name}' is not a known executor (known: ${list})`, { hint: `set executor to one of them, or define [executors.${name}]` });
}

function refuseAgent(ctx: CliContext, what: string): void {
  const agent = ctx.env.WG_AGENT_ID;
  if (agent) throw new WgError('invalid_transition', `an agent (${agent}) cannot ${what} the service`, { hint: 'ask a human, or finish your task with wg done / wg fail' });
}

/** $WG_CLOCK_SKEW_MS (tests): this host's clock, skewed; the PostgreSQL store corrects it to the database's. */
function hostClock(ctx: CliContext): { clock?: Clock } {
  const skew = Number(ctx.env.WG_CLOCK_SKEW_MS);
  return skew ? { clock: { now: () => new Date(Date.now() + skew) } } : {};
}

export function register(program: Command): void {
  const service = program.command('service').description('the agent service: start, stop, status, restart, pause, resume, tick');

  const startOpts = (c: Command): Command =>
    c
      .option('--max-agents <n>', 'agents alive at once (overrides config)')
      .option('--interval <duration>', 'safety poll interval (overrides config)')
      .option('--executor <name>', 'default executor: shell, claude, codex or a custom one')
      .option('--model <model>', 'default model');

  startOpts(service.command('start').description('start the service in the background (returns once it answers)'))
    .option('--foreground', 'run in this terminal instead')
    .action(async (flags: StartFlags, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const overrides = overridesFrom(flags);
      const settings = await ctx.settings(overrides); // a bad config fails here, with its one-line error, not in the daemon
      requireKnownExecutor(settings, overrides, ctx.paths.config);
      if (flags.foreground) {
        const { openDaemon } = await import('../../service/daemon.js');
        const d = await openDaemon(ctx.paths, { overrides, settings, wgEntry: process.argv[1]! });
        if (!d.acquire()) throw new WgError('already_exists', 'a service is already running on this workgraph', { hint: 'wg service status' });
        // A human-readable line per spawn, exit, reclaim, kill … (daemon.log keeps the JSON).
        const { stampedLine } = await import('../../service/event-lines.js');
        d.events.onAny((e) => {
          const line = stampedLine(e, new Date());
          if (line === undefined) return;
          process.stdout.write((ctx.json ? JSON.stringify({ time: new Date().toISOString(), ...e }) : line) + '\n');
        });
        await d.run();
        await new Promise(() => undefined);
      }
      const r = await startService(ctx.paths, overrides, process.argv[1]!);
      ctx.out({ running: true, pid: r.pid, already_running: r.already }, () => (r.already ? `Service already running (PID ${r.pid})` : `Service started (PID ${r.pid})`));
    });

  startOpts(service.command('daemon', { hidden: true }).description('the service process itself (started by `service start`)')).action(async (flags: StartFlags, cmd: Command) => {
    const ctx = CliContext.from(cmd);
    const { openDaemon } = await import('../../service/daemon.js');
    const overrides = overridesFrom(flags);
    const d = await openDaemon(ctx.paths, { overrides, settings: await ctx.settings(overrides), wgEntry: process.argv[1]!, ...hostClock(ctx) });
    if (!d.acquire()) return; // another service won the race: it serves this .wg/
    await d.run();
    await new Promise(() => undefined);
  });

  service
    .command('stop')
    .description('stop the service (agents keep running unless --kill-agents)')
    .option('--kill-agents', 'also kill every agent (whole process groups) and release their claims')
    .action(async (flags: { killAgents?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      refuseAgent(ctx, 'stop');
      const settings = await ctx.settings();
      const before = flags.killAgents ? localAliveAgents(ctx) : [];
      const r = await stopService(ctx.paths, !!flags.killAgents, settings.dispatcher.killGraceMs);
      const service = r.stopped ? `Service stopped (PID ${r.pid})` : 'Service is not running';
      if (!flags.killAgents) {
        // The agents that keep running (and are re-adopted by the next start): named, with the fix.
        // This host's agents (with PostgreSQL the registry holds every host's).
        const registry = await ctx.registry();
        const liveness = registryLiveness(registry, (await ctx.now()).getTime(), settings.dispatcher.heartbeatTimeoutMs);
        const running = Object.values(registry.agents).filter((a) => liveness.get(a.id)?.alive && (!a.host || a.host === ctx.host));
        return ctx.out({ stopped: r.stopped, pid: r.pid ?? null, agents_running: running.map((a) => ({ id: a.id, task: a.task_id, pid: a.pid ?? null })) }, () => {
          if (!running.length) return service;
          return [
            `${service}; ${running.length} agent(s) keep running:`,
            ...running.map((a) => `  ${a.id}  ${a.task_id}  pid ${a.pid ?? '-'}`),
            `Each works on and is re-adopted by the next 'wg service start'. To stop one now: wg agents kill ${running[0]!.id} (or wg service stop --kill-agents)`,
          ];
        });
      }
      // Whatever the service did (or could not do: dead, hung), no agent is left alive here.
      const left = await killLeftAgents(ctx);
      const byCli = new Set(left.map((k) => k.id));
      const killed = [...before.filter((id) => !byCli.has(id)), ...left.filter((k) => k.signalled).map((k) => k.id)];
      const markedDead = left.filter((k) => !k.signalled).map((k) => k.id);
      ctx.out({ stopped: r.stopped, pid: r.pid ?? null, killed, marked_dead: markedDead, agents_running: [] }, () => [
        `${service}; ${killed.length ? `agents killed: ${killed.join(', ')}` : 'no agent was running'}`,
        ...(markedDead.length ? [`Marked dead (no live process of theirs to signal): ${markedDead.join(', ')}`] : []),
      ]);
    });

  startOpts(service.command('restart').description('stop, then start with the same settings (agents survive and are re-adopted)')).action(async (flags: StartFlags, cmd: Command) => {
    const ctx = CliContext.from(cmd);
    refuseAgent(ctx, 'restart');
    const previous = readServiceStateFile(ctx.paths)?.overrides ?? {};
    // A bad config or executor fails here, before the running service is stopped.
    const next = { ...previous, ...overridesFrom(flags) };
    requireKnownExecutor(await ctx.settings(next), overridesFrom(flags).executor !== undefined ? next : {}, ctx.paths.config);
    await stopService(ctx.paths, false, 0);
    const r = await startService(ctx.paths, next, process.argv[1]!);
    ctx.out({ running: true, pid: r.pid }, () => `Service restarted (PID ${r.pid})`);
  });

  for (const verb of ['pause', 'resume'] as const) {
    service
      .command(verb)
      .description(verb === 'pause' ? 'stop spawning new agents (running agents continue)' : 'spawn again')
      .action(async (_flags: unknown, cmd: Command) => {
        const ctx = CliContext.from(cmd);
        refuseAgent(ctx, verb);
        const pid = await ping(ctx.paths);
        if (pid) {
          const r = await request(ctx.paths, { cmd: verb });
          if (!r.ok) throw new WgError('invalid_transition', r.error);
        } else writePaused(ctx.paths, verb === 'pause');
        ctx.out({ paused: verb === 'pause', running: !!pid }, () => `Dispatcher ${verb}d${pid ? '' : ' (takes effect when the service starts)'}`);
      });
  }

  startOpts(service.command('tick').description('run one tick in the foreground (debugging)')).action(async (flags: StartFlags, cmd: Command) => {
    const ctx = CliContext.from(cmd);
    if (await ping(ctx.paths)) throw new WgError('already_exists', 'the service is running; a foreground tick would race it', { hint: 'wg service stop first' });
    const { openDaemon } = await import('../../service/daemon.js');
    const overrides = overridesFrom(flags);
    const d = await openDaemon(ctx.paths, { overrides, settings: await ctx.settings(overrides), wgEntry: process.argv[1]!, ...hostClock(ctx) });
    if (!d.acquire()) throw new WgError('already_exists', 'a service holds this workgraph');
    // What the tick did, as its events tell it (agents it started keep running after we return).
    const did: string[] = [];
    const spawned: Array<{ agent: string; task: string; pid: number }> = [];
    d.events.on('agent:spawned', (e) => (spawned.push({ agent: e.agent, task: e.task, pid: e.pid }), did.push(`spawned ${e.agent} on ${e.task} (PID ${e.pid}, ${e.executor})`)));
    d.events.on('spawn:failed', (e) => did.push(`could not spawn ${e.agent} on ${e.task}: ${e.error}`));
    d.events.on('claim:reclaimed', (e) => did.push(`reclaimed ${e.task} from ${e.agent} (${e.reason})${e.failed ? ': failed' : ''}`));
    d.events.on('agent:dead', (e) => did.push(`${e.agent} (${e.task}) is dead: ${e.reason}`));
    d.events.on('agent:killed', (e) => did.push(`stopping ${e.agent} (${e.task}): ${e.reason}`));
    d.events.on('wait:resumed', (e) => did.push(`resumed ${e.task} (${e.condition})`));
    const summary = await d.tick();
    ctx.out({ ...summary, agents: spawned }, () => [...did, `Tick: ${summary.spawned} spawned, ${summary.reclaimed} reclaimed, ${summary.exits} exits, ${summary.alive} alive, ${summary.ready} ready`]);
  });

  service
    .command('status')
    .description('is the service running, what is it doing, and why ready tasks are not running')
    .action(async (_flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const paths = ctx.paths;
      const settings = await ctx.settings();
      const d = settings.dispatcher;
      let live: Record<string, unknown> | undefined;
      if (await ping(paths)) {
        const r = await request(paths, { cmd: 'status' });
        if (r.ok) live = r;
      }
      const registry = await ctx.registry();
      const liveness = registryLiveness(registry, (await ctx.now()).getTime(), d.heartbeatTimeoutMs, ctx.host);
      const alive = [...liveness.values()].filter((l) => l.alive).length;
      const graph = await ctx.graph();
      const now = await ctx.now();
      const paused = (live?.paused as boolean | undefined) ?? readPaused(paths) ?? d.paused;
      const maxAgents = (live?.max_agents as number | undefined) ?? d.maxAgents;
      const path = `${join(paths.serviceDir, 'bin')}:${process.env.PATH ?? ''}`;
      const found = new Map<string, boolean>();
      const decision = decideDispatch(graph, {
        now,
        maxAgents,
        aliveAgents: alive,
        paused,
        settlingDelayMs: d.settlingDelayMs,
        liveness,
        executorFor: (task) => runnableExecutor(task, settings.executors, { defaultExecutor: (live?.executor as string | undefined) ?? d.executor, path, found }),
      });
      const backoff = graph.all().filter((t) => t.status === 'open' && t.ready_after && (parseTimestamp(t.ready_after)?.getTime() ?? 0) > now.getTime() && (t.retry_count ?? 0) > 0);
      const failedBlockers = explainFailedBlockers(blockedBehindFailed(graph));
      const explanations = [...explainWaiting(decision, { running: !!live, backoff }), ...failedBlockers];
      const agents = Object.values(registry.agents).filter((a) => liveness.get(a.id)?.alive);
      const human = awaitingHuman(graph, unmergedWork(paths));
      const idle = (live?.idle_ms as Record<string, number> | undefined) ?? {};
      // Parked/frozen by the Rust tool: not running, not dead; their tasks stay theirs.
      const held = Object.values(registry.agents).filter((a) => liveness.get(a.id)?.held);
      const problems = agentProblems(Object.values(registry.agents));
      ctx.out(
        { running: !!live, service: live ?? null, paused, max_agents: maxAgents, agents_alive: agents.map((a) => ({ id: a.id, task: a.task_id, pid: a.pid ?? null, executor: a.executor ?? null, idle_secs: idle[a.id] !== undefined ? Math.floor(idle[a.id]! / 1000) : null })), agents_held: held.map((a) => ({ id: a.id, task: a.task_id, status: a.status })), ready: decision.spawn.length + decision.waiting.length, waiting: explanations, awaiting_human: human, agent_problems: problems },
        () => {
          const lines = [live ? `Service: running (PID ${String(live.pid)}, since ${String(live.started_at)})${paused ? ' — dispatcher PAUSED' : ''}` : 'Service: stopped', `Dispatcher: max_agents=${maxAgents}, executor=${(live?.executor as string) ?? d.executor}, poll=${d.pollIntervalMs / 1000}s, idle_timeout=${d.idleTimeoutMs ? formatSpan(d.idleTimeoutMs) : 'off'}`, `Agents alive: ${agents.length}`];
          for (const a of agents) lines.push(`  ${a.id}  ${a.task_id}  ${a.executor ?? ''}  pid ${a.pid ?? '-'}${idle[a.id] !== undefined ? `  idle ${formatAge(idle[a.id]!)}` : ''}`);
          if (held.length) lines.push(`Agents parked or frozen (by the Rust tool; their tasks stay theirs): ${held.map((a) => `${a.id} (${a.status}, ${a.task_id})`).join(', ')}`);
          for (const pr of problems) lines.push('', `Agents cannot start: ${pr.message}`, `  fix: ${pr.fix}`);
          if (explanations.length) {
            const nothingReady = decision.spawn.length === 0 && decision.waiting.length === 0;
            lines.push('', nothingReady ? 'No ready tasks. Why tasks are not running:' : 'Why tasks are not running:');
            for (const e of explanations) lines.push(`  - ${e.message}`, `    fix: ${e.fix}`);
          } else if (decision.spawn.length === 0 && decision.waiting.length === 0) lines.push('', 'No ready tasks.');
          if (human.length) {
            lines.push('', 'Waiting for a human:');
            for (const h of human) lines.push(`  - ${h.task}: ${h.detail}`, `    fix: ${h.fix}`);
          }
          return lines;
        },
      );
    });
}

/** How many of the latest agents are looked at for a failure that needs a human. */
const RECENT_AGENTS = 20;

/**
 * Failures no retry can fix, among the latest agents: Claude Code's refusal to run as root
 * (read from the agent's output at its exit, agents/executors/stream.ts).
 */
function agentProblems(all: AgentRecord[]): Array<{ kind: 'root-refusal'; agents: string[]; message: string; fix: string }> {
  const recent = [...all].sort((a, b) => (a.started_at < b.started_at ? 1 : -1)).slice(0, RECENT_AGENTS);
  const refused = recent.filter((a) => a.error_source === 'root-refusal').map((a) => a.id);
  if (!refused.length) return [];
  return [{ kind: 'root-refusal', agents: refused, message: `claude refuses --permission-mode bypassPermissions as root (${refused.length} recent agent(s) failed: ${refused.slice(0, 5).join(', ')})`, fix: ROOT_REFUSAL_FIX }];
}
