/**
 * Tick step 6: starting agents. The claim is written before the process starts (in-progress,
 * the new agent, epoch+1: core/plans/dispatch.ts `planSpawnClaim`); the registry learns of the
 * agent before and after the launch; a failed launch gives the claim back and holds the task
 * back (`spawnFailureBackoffMs`: 1 s, 2 s, 4 s … 5 min) so it is not retried in a hot loop.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { latestEvaluation, readTaskEvaluations } from '../agency/evaluations.js';
import { loadIdentity, type Identity } from '../agency/files.js';
import { planSpawnClaim, planSpawnRollback, spawnFailureBackoffMs } from '../core/plans/dispatch.js';
import type { Task } from '../core/task.js';
import { formatTimestamp } from '../core/time.js';
import { hardTimeoutMs } from '../settings.js';
import { launchSpec } from '../agents/executors/index.js';
import type { Registry } from '../store/registry.js';
import { serviceActor, type StepContext } from './context.js';
import { buildPrompt } from './prompt.js';

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
  const agentId = await ctx.registry.update((r: Registry) => `agent-${r.next_agent_id++}`);
  const claim = await ctx.graph.mutate((g) => planSpawnClaim(g, task.id, agentId, executor, model, who), now);
  if (!claim) return false;
  const claimed = claim.task;
  const epoch = claimed.claim_epoch ?? 0;
  const agentDir = join(ctx.paths.agentsDir, agentId);
  const outputFile = join(agentDir, 'output.log');
  const promptFile = join(agentDir, 'prompt.txt');
  const startedAt = formatTimestamp(now);
  const base = { id: agentId, task_id: task.id, claim_epoch: epoch, executor, ...(model ? { model } : {}), started_at: startedAt, host: ctx.host };
  const fail = async (error: string): Promise<false> => {
    await ctx.registry.update((r) => {
      r.agents[agentId] = { ...base, status: 'starting' };
    });
    await rollbackSpawn(ctx, failures, agentId, error, now);
    return false;
  };
  try {
    mkdirSync(agentDir, { recursive: true });
    writeFileSync(promptFile, buildPrompt(ctx.graph.graph(), claimed, agentId, promptExtras(ctx, claimed)));
    const spec = launchSpec(claimed, ctx.settings.executors, { promptFile, model, executor });
    if ('missing' in spec) return await fail(spec.missing);
    const timeoutMs = hardTimeoutMs(claimed, ctx.settings.dispatcher);
    writeFileSync(join(agentDir, 'metadata.json'), JSON.stringify({ agent_id: agentId, task_id: task.id, claim_epoch: epoch, executor, model: model ?? null, argv: spec.argv, started_at: startedAt, timeout_ms: timeoutMs }, null, 2) + '\n');
    await ctx.registry.update((r) => {
      r.agents[agentId] = { ...base, last_heartbeat: startedAt, status: 'starting', output_file: outputFile };
    });
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
    };
    // Nested Claude Code sessions refuse to start when these leak in from a parent session.
    delete env.CLAUDECODE;
    delete env.CLAUDE_CODE_ENTRYPOINT;
    const started = await ctx.supervisor.start(agentId, spec.argv, {
      cwd: dirname(ctx.paths.dir),
      env,
      ...(spec.promptOnStdin ? { stdinFile: promptFile } : {}),
      outputFile,
      ...(timeoutMs > 0 ? { deadlineMs: now.getTime() + timeoutMs } : {}),
    });
    await ctx.registry.update((r) => {
      const a = r.agents[agentId];
      if (a) Object.assign(a, { pid: started.pid, pgid: started.pgid, ...(started.procStart ? { proc_start: started.procStart } : {}), status: 'working' });
    });
    ctx.events.emit('agent:spawned', { agent: agentId, task: task.id, pid: started.pid, executor, epoch });
    return true;
  } catch (e) {
    return await fail((e as Error).message);
  }
}
