/** `wg quickstart` prints this; docs/quickstart.md carries the same text (a test keeps them equal). */
export const QUICKSTART = `# workgraph quick start

## Set up
  wg init                                   create .wg/ in this project
                                            (a project made by the Rust tool: its .workgraph/ is used as is)
  wg which                                  the workgraph directory in use here, and why
  wg add "Design the schema"                a task (id from the title: design-the-schema)
  wg add "Build the API" --after design-the-schema -p high
  wg ready                                  what can start now
  wg why-blocked build-the-api              why something cannot

## Work by hand
  wg claim --next                           take the highest-priority ready task
  wg log ID "what happened"                 progress notes
  wg artifact ID path/to/file               what you produced
  wg done ID   |   wg fail ID --reason "…"  finish

## Let agents work
  In .wg/config.toml: [dispatcher] executor = "claude" (or "codex", "shell", a custom one)
  wg service start                          dispatch ready tasks to agents
  wg service status                         what runs, and why ready tasks are not running
  wg agents                                 agents, PIDs, uptime, heartbeats
  wg service stop [--kill-agents]

## Recovery
  wg retry ID          the task failed, or its agent hangs: kill the agent (if alive),
                       re-queue the task (retry_count+1), clear stale claims downstream.
                       Safe to repeat: a second retry within retry_debounce does nothing.
  wg agents kill AGENT just stop a runaway agent; the service re-queues its task.
  wg kill AGENT        stop an agent and park its task (paused) until you wg resume it;
                       --redispatch re-queues it instead.
  wg reset ID          start a task and everything downstream over from scratch
                       (counters, timestamps, failures, claims); --dry-run first, --yes to apply.
  wg recover           many tasks failed (an outage?): re-queue them in one go;
                       dry run by default, filters like --filter error~timeout, --yes to apply.
  wg unclaim ID        release a claim (yours, or a dead agent's) so the task can be taken.
  wg sweep             clear every claim held by a dead or unknown agent now
                       (the service does this on every tick anyway).
  wg requeue ID --reason R   put an in-progress task back in the queue.

  Which one?  One task failed → retry.  An agent hangs → retry (or agents kill).
  Bad input upstream, redo a whole branch → reset.  A wave of failures → recover.
  "Nothing is running" → wg service status tells you why, with the fixing command.
`;
