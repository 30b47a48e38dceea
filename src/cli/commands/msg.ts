import type { Command } from 'commander';
import { ExitCode, usageError } from '../../core/errors.js';
import type { Graph } from '../../core/graph.js';
import { formatMessage, type Message } from '../../core/messages.js';
import { checkOwnFence, requireTask } from '../../core/plan.js';
import { MessageStore, readerName, requireReaderName, withGraphLock } from '../../store/messages.js';
import { PgMessages } from '../../store/pg/messages.js';
import { CliContext } from '../context.js';
import type { ActionOutcome } from '../task-actions.js';

/** A target is a task id, or an agent id (`agent-N`: the task that agent works on). */
async function resolveTarget(ctx: CliContext, graph: Graph, target: string): Promise<string> {
  if (/^agent-\d+$/.test(target) && !graph.has(target)) {
    const rec = (await ctx.registry()).agents[target];
    if (!rec) throw usageError(`no agent '${target}' in the registry`, "see 'wg agents' for agent ids, or name the task");
    return rec.task_id;
  }
  return requireTask(graph, target).id;
}

function taskOrEnv(ctx: CliContext, task: string | undefined, usage: string): string {
  const id = task ?? ctx.env.WG_TASK_ID;
  if (!id) throw usageError('missing task id', `${usage} (or run it as an agent, with WG_TASK_ID set)`);
  return id;
}

function readerOf(ctx: CliContext, explicit: string | undefined): string {
  if (explicit) return requireReaderName(explicit);
  return ctx.env.WG_AGENT_ID ? requireReaderName(ctx.env.WG_AGENT_ID) : readerName(ctx.user ?? 'user');
}

function statusOf(m: Message, marks: { read: Map<string, number>; delivered: Map<string, number> }): { status: string; read_by: string[]; delivered_to: string[] } {
  const read_by = [...marks.read].filter(([, n]) => n >= m.id).map(([r]) => r);
  const delivered_to = [...marks.delivered].filter(([, n]) => n >= m.id).map(([r]) => r);
  const status = read_by.some((r) => !delivered_to.includes(r)) ? 'read' : delivered_to.length ? 'delivered' : 'sent';
  return { status, read_by, delivered_to };
}

/** `wg msg send TARGET TEXT` applied (the command and the dashboards' message key/button). */
export async function sendMessage(ctx: CliContext, target: string, body: string, opts: { from?: string; priority?: string } = {}): Promise<ActionOutcome> {
  if (!body.trim()) throw usageError('empty message');
  const who = ctx.actor();
  const sender = opts.from ?? who.agentId ?? ctx.user ?? 'user';
  const priority = opts.priority ?? 'normal';
  const pg = await ctx.pg();
  const sent = pg
    ? await (async () => {
        // PostgreSQL: the fence is checked on the task's row inside the send's transaction.
        const taskId = await resolveTarget(ctx, await ctx.graph({ rows: true, whole: [target] }), target);
        return { taskId, m: await new PgMessages(pg.pool).send(taskId, { sender, body, priority }, pg.clock.now(), who) };
      })()
    : await withGraphLock(ctx.paths, async () => {
        const graph = ctx.store().loadFast();
        checkOwnFence(graph, who); // under the graph lock (JSONL)
        const taskId = await resolveTarget(ctx, graph, target);
        return { taskId, m: await new MessageStore(ctx.paths).send(taskId, { sender, body, priority }, who.now) };
      });
  ctx.kick(); // a task waiting for a message resumes on the service's next tick
  return { json: { task_id: sent.taskId, message: sent.m }, lines: [`Message #${sent.m.id} sent to '${sent.taskId}'${sent.taskId !== target ? ` (${target}'s task)` : ''}`] };
}

export function register(program: Command): void {
  const msg = program.command('msg').description('messages to and from tasks and their agents (send, list, read, poll)');

  msg
    .command('send')
    .description('send a message to a task (or to agent-N: the task it works on)')
    .argument('<target>', 'task id or agent id')
    .argument('[text]', 'the message (or --stdin)')
    .option('--from <sender>', 'sender (default: $WG_AGENT_ID, else you)')
    .option('--priority <p>', 'normal or urgent', 'normal')
    .option('--stdin', 'read the message from stdin')
    .action(async (target: string, text: string | undefined, flags: { from?: string; priority: string; stdin?: boolean }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      if (flags.priority !== 'normal' && flags.priority !== 'urgent') throw usageError(`invalid --priority '${flags.priority}'`, 'use normal or urgent');
      if (text !== undefined && flags.stdin) throw usageError('give the message as an argument or with --stdin, not both');
      let body = text;
      if (flags.stdin) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        body = Buffer.concat(chunks).toString('utf8').trimEnd();
      }
      if (body === undefined) throw usageError('missing message text', `wg msg send ${target} "text" (or --stdin)`);
      if (!body.trim()) throw usageError('empty message');
      const o = await sendMessage(ctx, target, body, { ...(flags.from ? { from: flags.from } : {}), priority: flags.priority });
      ctx.out(o.json, () => o.lines);
    });

  msg
    .command('list')
    .description("all messages of a task, with who has read them")
    .argument('[target]', 'task id or agent id (default: $WG_TASK_ID)')
    .action(async (target: string | undefined, _flags: unknown, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const pg = await ctx.pg();
      const want = taskOrEnv(ctx, target, 'wg msg list ID');
      const taskId = await resolveTarget(ctx, await ctx.graph({ rows: true, whole: [want] }), want);
      const messages = pg ? new PgMessages(pg.pool) : new MessageStore(ctx.paths);
      const all = await messages.list(taskId);
      const marks = await messages.marks(taskId);
      const rows = all.map((m) => ({ ...m, ...statusOf(m, marks) }));
      ctx.out(rows, () =>
        rows.length
          ? [`Messages for '${taskId}' (${rows.length}):`, ...rows.map((m) => `  ${formatMessage(m)}${m.read_by.length ? `  (read by ${m.read_by.join(', ')})` : m.delivered_to.length ? `  (delivered to ${m.delivered_to.join(', ')})` : ''}`)]
          : `No messages for '${taskId}'`,
      );
    });

  msg
    .command('read')
    .description('unread messages for you (the agent or the user), marked read: your cursor advances')
    .argument('[task]', 'task id (default: $WG_TASK_ID)')
    .option('--agent <reader>', 'read as this reader (default: $WG_AGENT_ID, else you)')
    .action(async (task: string | undefined, flags: { agent?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const who = ctx.actor();
      const reader = readerOf(ctx, flags.agent);
      const pg = await ctx.pg();
      const { taskId, unread } = pg
        ? await (async () => {
            const want = taskOrEnv(ctx, task, 'wg msg read ID');
            const graph = await ctx.graph({ rows: true, whole: [want, ...(who.fenceTaskId ? [who.fenceTaskId] : [])] });
            checkOwnFence(graph, who);
            const taskId = await resolveTarget(ctx, graph, want);
            return { taskId, unread: await new PgMessages(pg.pool).unread(taskId, reader, true) };
          })()
        : await withGraphLock(ctx.paths, async () => {
            const graph = ctx.store().loadFast();
            checkOwnFence(graph, who); // under the graph lock (JSONL)
            const taskId = await resolveTarget(ctx, graph, taskOrEnv(ctx, task, 'wg msg read ID'));
            return { taskId, unread: new MessageStore(ctx.paths).unread(taskId, reader, true) };
          });
      ctx.out(unread, () => (unread.length ? [`${unread.length} unread message${unread.length === 1 ? '' : 's'} for '${taskId}' (${reader}):`, ...unread.map((m) => `  ${formatMessage(m)}`)] : `No unread messages for '${taskId}' (${reader})`));
    });

  msg
    .command('poll')
    .description('are there unread messages? exit 0 yes (and lists them), 1 no; the cursor does not move')
    .argument('[task]', 'task id (default: $WG_TASK_ID)')
    .option('--agent <reader>', 'as this reader (default: $WG_AGENT_ID, else you)')
    .action(async (task: string | undefined, flags: { agent?: string }, cmd: Command) => {
      const ctx = CliContext.from(cmd);
      const reader = readerOf(ctx, flags.agent);
      const pg = await ctx.pg();
      const want = taskOrEnv(ctx, task, 'wg msg poll ID');
      const taskId = await resolveTarget(ctx, await ctx.graph({ rows: true, whole: [want] }), want);
      const unread = pg ? await new PgMessages(pg.pool).unread(taskId, reader, false) : new MessageStore(ctx.paths).unread(taskId, reader, false);
      ctx.out({ task_id: taskId, reader, unread }, () => (unread.length ? [`${unread.length} new message${unread.length === 1 ? '' : 's'} for '${taskId}' (${reader}):`, ...unread.map((m) => `  ${formatMessage(m)}`)] : `No new messages for '${taskId}' (${reader})`));
      if (!unread.length) process.exitCode = ExitCode.refused;
    });
}
