import type { Command } from 'commander';
import { WgError } from '../../core/errors.js';
import { decideDispatch } from '../../core/plans/dispatch.js';
import { parseTimestamp } from '../../core/time.js';
import { explainWaiting } from '../../render/service-status.js';
import { readRegistry } from '../../store/registry.js';
import { registryLiveness } from '../../agents/liveness.js';
import { runnableExecutor } from '../../agents/executors/index.js';
import { request } from '../../service/ipc.js';
import { ping, startService, stopService } from '../../service/control.js';
import { readPaused, readServiceStateFile, writePaused, type ServiceOverrides } from '../../service/service-files.js';
import { CliContext } from '../context.js';
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


function refuseAgent(ctx: CliContext, what: string): void {
  const agent = ctx.env.WG_AGENT_ID;
  if (agent) throw new WgError('invalid_transition', `an agent (${agent}) cannot ${what} the service`, { hint: 'ask a human, or finish your task with wg done / wg fail' });
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
      if (flags.foreground) {
        const { Daemon } = await import('../../service/daemon.js');
        const d = new Daemon(ctx.paths, { overrides, settings: await ctx.settings(overrides), wgEntry: process.argv[1]! });
        if (!d.acquire()) throw new WgError('already_exists', 'a service is already running on this workgraph', { hint: 'wg service status' });
        await d.run();
        await new Promise(() => undefined);
      }
      await ctx.settings(); // a bad config fails here, with its one-line error, not in the daemon
      const r = await startService(ctx.paths, overrides, process.argv[1]!);
      ctx.out({ running: true, pid: r.pid, already_running: r.already }, () => (r.already ? `Service already running (PID ${r.pid})` : `Service started (PID ${r.pid})`));
    });

  startOpts(service.command('daemon', { hidden: true }).description('the service process itself (started by `service start`)')).action(async (flags: StartFlags, cmd: Command) => {
    const ctx = CliContext.from(cmd);
    const { Daemon } = await import('../../service/daemon.js');
    const overrides = overridesFrom(flags);
    const d = new Daemon(ctx.paths, { overrides, settings: await ctx.settings(overrides), wgEntry: process.argv[1]! });
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
      const r = await stopService(ctx.paths, !!flags.killAgents, (await ctx.settings()).dispatcher.killGraceMs);
      ctx.out({ stopped: r.stopped, pid: r.pid ?? null }, () => (r.stopped ? `Service stopped (PID ${r.pid})${flags.killAgents ? '; agents killed' : ''}` : 'Service is not running'));
    });

  startOpts(service.command('restart').description('stop, then start with the same settings (agents survive and are re-adopted)')).action(async (flags: StartFlags, cmd: Command) => {
    const ctx = CliContext.from(cmd);
    refuseAgent(ctx, 'restart');
    const previous = readServiceStateFile(ctx.paths)?.overrides ?? {};
    await ctx.settings(); // a bad config fails here, before the running service is stopped
    await stopService(ctx.paths, false, 0);
    const r = await startService(ctx.paths, { ...previous, ...overridesFrom(flags) }, process.argv[1]!);
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
    const { Daemon } = await import('../../service/daemon.js');
    const overrides = overridesFrom(flags);
    const d = new Daemon(ctx.paths, { overrides, settings: await ctx.settings(overrides), wgEntry: process.argv[1]! });
    if (!d.acquire()) throw new WgError('already_exists', 'a service holds this workgraph');
    // What the tick did, as its events tell it (agents it started keep running after we return).
    const did: string[] = [];
    const spawned: Array<{ agent: string; task: string; pid: number }> = [];
    d.events.on('agent:spawned', (e) => (spawned.push({ agent: e.agent, task: e.task, pid: e.pid }), did.push(`spawned ${e.agent} on ${e.task} (PID ${e.pid}, ${e.executor})`)));
    d.events.on('spawn:failed', (e) => did.push(`could not spawn ${e.agent} on ${e.task}: ${e.error}`));
    d.events.on('claim:reclaimed', (e) => did.push(`reclaimed ${e.task} from ${e.agent} (${e.reason})${e.failed ? ': failed' : ''}`));
    d.events.on('agent:dead', (e) => did.push(`${e.agent} (${e.task}) is dead: ${e.reason}`));
    d.events.on('agent:killed', (e) => did.push(`stopping ${e.agent} (${e.task}): ${e.reason}`));
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
      const registry = readRegistry(paths);
      const liveness = registryLiveness(registry, ctx.clock.now().getTime(), d.heartbeatTimeoutMs);
      const alive = [...liveness.values()].filter((l) => l.alive).length;
      const { graph } = ctx.store().load();
      const now = ctx.clock.now();
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
      const explanations = explainWaiting(decision, { running: !!live, backoff });
      const agents = Object.values(registry.agents).filter((a) => liveness.get(a.id)?.alive);
      // Parked/frozen by the Rust tool: not running, not dead; their tasks stay theirs.
      const held = Object.values(registry.agents).filter((a) => liveness.get(a.id)?.held);
      ctx.out(
        { running: !!live, service: live ?? null, paused, max_agents: maxAgents, agents_alive: agents.map((a) => ({ id: a.id, task: a.task_id, pid: a.pid ?? null, executor: a.executor ?? null })), agents_held: held.map((a) => ({ id: a.id, task: a.task_id, status: a.status })), ready: decision.spawn.length + decision.waiting.length, waiting: explanations },
        () => {
          const lines = [live ? `Service: running (PID ${String(live.pid)}, since ${String(live.started_at)})${paused ? ' — dispatcher PAUSED' : ''}` : 'Service: stopped', `Dispatcher: max_agents=${maxAgents}, executor=${(live?.executor as string) ?? d.executor}, poll=${d.pollIntervalMs / 1000}s`, `Agents alive: ${agents.length}`];
          for (const a of agents) lines.push(`  ${a.id}  ${a.task_id}  ${a.executor ?? ''}  pid ${a.pid ?? '-'}`);
          if (held.length) lines.push(`Agents parked or frozen (by the Rust tool; their tasks stay theirs): ${held.map((a) => `${a.id} (${a.status}, ${a.task_id})`).join(', ')}`);
          if (explanations.length) {
            lines.push('', 'Why ready tasks are not running:');
            for (const e of explanations) lines.push(`  - ${e.message}`, `    fix: ${e.fix}`);
          } else if (decision.spawn.length === 0 && decision.waiting.length === 0) lines.push('', 'No ready tasks.');
          return lines;
        },
      );
    });
}

