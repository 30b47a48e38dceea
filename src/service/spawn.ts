/**
 * Tick step 6: starting agents. The claim is written before the process starts (in-progress,
 * the new agent, epoch+1: core/plans/dispatch.ts `planSpawnClaim`); then the agent's workspace
 * (its own git worktree) and its prompt with the messages queued for it (work-loop.ts); the registry learns of the
 * agent before and after the launch; a failed launch gives the claim back and holds the task
 * back (`spawnFailureBackoffMs`: 1 s, 2 s, 4 s … 5 min) so it is not retried in a hot loop.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latestEvaluation, readTaskEvaluations } from '../agency/evaluations.js';
import { loadIdentity, type Identity } from '../agency/files.js';
import { agentOutputPath } from '../agents/agent-output.js';
import { nextEpoch } from '../core/claims.js';
import { planSpawnClaim, planSpawnRollback, spawnFailureBackoffMs } from '../core/plans/dispatch.js';
import type { Task } from '../core/task.js';
import { formatTimestamp } from '../core/time.js';
import { hardTimeoutMs } from '../settings.js';
import { launchSpec } from '../agents/executors/index.js';
import type { Registry } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';
import { buildPrompt } from './prompt.js';
import { deliverMessages, discardWorkspace, prepareWorkspace, queuedMessages, type Workspace } from './work-loop.js';

/** Consecutive failed spawns per task (reset by a successful spawn). */
export type SpawnFailures = Map<string, number>;

/** The identity and eval-gate feedback rendered into an agent's prompt (never fails a spawn). */
function promptExtras(ctx: StepContext, task: Task): { identity?: Identity; feedback?: { score: number; notes?: string | null } } {
  const out: { identity?: Identity; feedback?: { score: number; notes?: string | null } } = {};
  try {
    if (task.agent) out.identity = loadIdentity(ctx.paths, task.agent);
  } catch (e) {
    ctx.warn('prompt:identity-unreadable', { task: task.id, error: (e as Error).message }, 'agency files unreadable');
  }
  try {
    if (typeof task.rescue_count === 'number' && task.rescue_count > 0) {
      const ev = latestEvaluation(readTaskEvaluations(ctx.paths, task.id), task.id);
      if (ev) out.feedback = { score: ev.score, notes: ev.notes ?? null };
    }
  } catch {
    // feedback is a courtesy; the task log has the score too
  }
  return out;
}

/**
 * A spawn failed — before its process started, or its command could not start (the wrapper's
 * exit record, applied by the exits step): the claim goes back, the task is held back
 * (1 s, 2 s, 4 s … per consecutive failure), the agent is recorded as failed.
 */
export async function rollbackSpawn(ctx: StepContext, failures: SpawnFailures, agentId: string, error: string, now: Date): Promise<void> {
  const rec = ctx.registry.current().agents[agentId];
  if (!rec) return;
  const n = (failures.get(rec.task_id) ?? 0) + 1;
  failures.set(rec.task_id, n);
  const retryAfter = formatTimestamp(new Date(now.getTime() + spawnFailureBackoffMs(n)));
  await ctx.graph.mutate((g) => planSpawnRollback(g, rec.task_id, agentId, rec.claim_epoch ?? 0, error, serviceActor(now), retryAfter), now);
  await ctx.registry.update((r) => {
    const a = r.agents[agentId];
    if (a) Object.assign(a, { status: 'failed', completed_at: formatTimestamp(now), exit_reason: `spawn failed: ${error}` });
  });
  ctx.events.emit('spawn:failed', { task: rec.task_id, agent: agentId, error, retry_after: retryAfter });
}

/** Claims `task` for a new agent and starts it; false when the claim was lost or the launch failed. */
export async function spawnAgent(ctx: StepContext, failures: SpawnFailures, task: Task, executor: string, now: Date): Promise<boolean> {
  const model = task.model ?? ctx.settings.dispatcher.model;
  const who = serviceActor(now);
  // The agent is in the registry (starting) before its claim is in the graph: a reconciler —
  // another host's, with PostgreSQL — that sees the claim also sees the agent, never an
  // "unknown" claimant to reclaim from. A claim lost to another host removes the record again.
  // The record is already complete for the launch: its output file, and the epoch the claim
  // will have (the next after the task's, as the tick sees it; a claim that lands at another
  // epoch — the task changed meanwhile — is recorded again before the launch).
  const expectedEpoch = nextEpoch(task);
  const agentId = await ctx.registry.update((r: Registry) => {
    const id = `agent-${r.next_agent_id++}`;
    const output_file = agentOutputPath(ctx.paths, id);
    r.agents[id] = { id, task_id: task.id, claim_epoch: expectedEpoch, executor, ...(model ? { model } : {}), started_at: formatTimestamp(now), last_heartbeat: formatTimestamp(now), host: ctx.host, status: 'starting', output_file };
    return id;
  });
  const claim = await ctx.graph.claim(task.id, (g) => planSpawnClaim(g, task.id, agentId, executor, model, who), now);
  if (!claim) {
    await ctx.registry.update((r) => {
      delete r.agents[agentId];
    });
    return false;
  }
  const claimed = claim.task;
  const epoch = claimed.claim_epoch ?? 0;
  const agentDir = join(ctx.paths.agentsDir, agentId);
  const outputFile = agentOutputPath(ctx.paths, agentId);
  const promptFile = join(agentDir, 'prompt.txt');
  const startedAt = formatTimestamp(now);
  const base = { id: agentId, task_id: task.id, claim_epoch: epoch, executor, ...(model ? { model } : {}), started_at: startedAt, host: ctx.host };
  let workspace: Workspace | undefined;
  // A launch that fails is rolled back — after the store is back, if it is what failed: a record
  // left 'starting' without a PID would read later as a spawn lost, and count as a retry.
  const fail = async (error: string): Promise<false> => {
    await discardWorkspace(ctx, workspace, now);
    await persist(() =>
      ctx.registry.update((r) => {
        r.agents[agentId] = { ...base, status: 'starting' };
      }),
    );
    await persist(() => rollbackSpawn(ctx, failures, agentId, error, now));
    return false;
  };
  let started: Awaited<ReturnType<typeof ctx.supervisor.start>>;
  let queued: Awaited<ReturnType<typeof queuedMessages>> = [];
  try {
    mkdirSync(agentDir, { recursive: true });
    workspace = await prepareWorkspace(ctx, agentId, claimed, now);
    // The store may be restarting (PostgreSQL): wait for it rather than fail a launch it holds.
    queued = await persist(() => queuedMessages(ctx, task.id, agentId, executor));
    writeFileSync(promptFile, buildPrompt(ctx.graph.graph(), claimed, agentId, { ...promptExtras(ctx, claimed), messages: queued, worktree: workspace.worktree }));
    const spec = launchSpec(claimed, ctx.settings.executors, { promptFile, model, executor });
    if ('missing' in spec) return await fail(spec.missing);
    const timeoutMs = hardTimeoutMs(claimed, ctx.settings.dispatcher);
    writeFileSync(join(agentDir, 'metadata.json'), JSON.stringify({ agent_id: agentId, task_id: task.id, claim_epoch: epoch, executor, model: model ?? null, argv: spec.argv, started_at: startedAt, timeout_ms: timeoutMs }, null, 2) + '\n');
    if (epoch !== expectedEpoch) {
      await persist(() =>
        ctx.registry.update((r) => {
          r.agents[agentId] = { ...base, last_heartbeat: startedAt, status: 'starting', output_file: outputFile };
        }),
      );
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...spec.env,
      PATH: ctx.agentPath,
      WG_DIR: ctx.paths.dir,
      WG_TASK_ID: task.id,
      WG_AGENT_ID: agentId,
      WG_CLAIM_EPOCH: String(epoch),
      WG_EXECUTOR: executor,
      ...(model ? { WG_MODEL: model } : {}),
      ...workspace.env,
    };
    // Nested Claude Code sessions refuse to start when these leak in from a parent session.
    delete env.CLAUDECODE;
    delete env.CLAUDE_CODE_ENTRYPOINT;
    started = await ctx.supervisor.start(agentId, spec.argv, {
      cwd: workspace.cwd,
      env,
      ...(spec.promptOnStdin ? { stdinFile: promptFile } : {}),
      outputFile,
      ...(timeoutMs > 0 ? { deadlineMs: now.getTime() + timeoutMs } : {}),
    });
  } catch (e) {
    return await fail((e as Error).message);
  }
  // The agent runs: from here its claim stands whatever the store does. If recording its PID
  // fails (a PostgreSQL restart), try again for a while rather than roll back a running agent.
  const s = started;
  await persist(() =>
    ctx.registry.update((r) => {
      const a = r.agents[agentId];
      if (a) Object.assign(a, { pid: s.pid, pgid: s.pgid, ...(s.procStart ? { proc_start: s.procStart } : {}), status: 'working' });
    }),
  );
  // (The spawn-failure count is reset by the agent's exit: a command that cannot start is only
  // known when the wrapper's exit record says so — exits.ts.)
  ctx.events.emit('agent:spawned', { agent: agentId, task: task.id, pid: s.pid, executor, epoch });
  await deliverMessages(ctx, task.id, agentId, queued);
  return true;
}

/** The store is momentarily unreachable (a PostgreSQL restart; never the case with files). */
function transient(e: unknown): boolean {
  const { code = '', message = '' } = e as { code?: string; message?: string };
  return code === 'store_unavailable' || /^(08|57P0)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) || /Connection terminated|connection error/i.test(message);
}

/** Retries `fn` while the store is unreachable (up to 30 s), then gives up with its error. */
async function persist<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn();
    } catch (e) {
      if (!transient(e) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

