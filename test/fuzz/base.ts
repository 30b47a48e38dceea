/**
 * The project every fuzz case starts from: a graph with a task in each state (dependencies,
 * a claim by a live agent, a log, a loop, a resource line, a comment), a service config with
 * short timings, and a registry whose agents are the runner's stand-in processes
 * (`@@AGENT1_PID@@`… are filled in by runner.mjs for every case).
 */
const T0 = '2026-03-20T10:00:00.000Z';

export const BASE_TASKS: Array<Record<string, unknown>> = [
  { kind: 'task', id: 't-open', title: 'Open task', status: 'open', priority: 10, before: ['t-dep'], created_at: T0 },
  { kind: 'task', id: 't-dep', title: 'Depends on t-open', description: 'line one\nline two\twith a tab', status: 'open', priority: 5, after: ['t-open'], tags: ['a', 'b'], created_at: T0 },
  { kind: 'task', id: 't-prog', title: 'In progress', status: 'in-progress', priority: 10, assigned: 'agent-1', claim_epoch: 2, exec: 'true', created_at: T0, started_at: T0 },
  { kind: 'task', id: 't-prog2', title: 'Also in progress', status: 'in-progress', priority: 10, assigned: 'agent-2', claim_epoch: 1, exec: 'true', created_at: T0, started_at: T0 },
  { kind: 'task', id: 't-done', title: 'Done', status: 'done', priority: 10, artifacts: ['out.txt'], created_at: T0, completed_at: T0, log: [{ timestamp: T0, actor: 'alice', message: 'finished it' }] },
  { kind: 'task', id: 't-failed', title: 'Failed', status: 'failed', priority: 10, failure_reason: 'boom', failure_class: 'agent-exit-nonzero', retry_count: 1, max_retries: 3, exec: 'false', created_at: T0 },
  { kind: 'task', id: 't-paused', title: 'Paused, gated', status: 'open', priority: 1, paused: true, not_before: '2030-01-01T00:00:00Z', created_at: T0 },
  { kind: 'task', id: 't-loop', title: 'Loop head', status: 'open', priority: 10, after: ['t-loop2'], before: ['t-loop2'], cycle_config: { max_iterations: 3 }, created_at: T0 },
  { kind: 'task', id: 't-loop2', title: 'Loop body', status: 'open', priority: 10, after: ['t-loop'], before: ['t-loop'], created_at: T0 },
  { kind: 'task', id: '.evaluate-t-done', title: 'Evaluate t-done', status: 'open', priority: 10, after: ['t-done'], tags: ['evaluation'], created_at: T0 },
];

export const BASE_OTHER_LINES = ['{"kind":"resource","id":"r-gpu","name":"gpu","x-extra":{"nested":[1,2,3]}}', '# a comment line', ''];

export function graphText(tasks: Array<Record<string, unknown>> = BASE_TASKS, other: string[] = BASE_OTHER_LINES): string {
  return [...tasks.map((t) => JSON.stringify(t)), ...other].join('\n') + '\n';
}

export const BASE_CONFIG = `[dispatcher]
executor = "shell"
max_agents = 2
poll_interval = "1s"
kill_grace = "200ms"
settling_delay = "0ms"
heartbeat_timeout = "60s"
retry_debounce = "0s"

[agency]
auto_evaluate = false

[executors.mine]
command = ["true", "{task_id}"]
`;

export function baseAgent(n: number, task: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `agent-${n}`,
    pid: `@@AGENT${n}_PID@@`,
    pgid: `@@AGENT${n}_PID@@`,
    proc_start: `@@AGENT${n}_START@@`,
    host: '@@HOST@@',
    task_id: task,
    claim_epoch: n === 1 ? 2 : 1,
    executor: 'shell',
    started_at: '@@PAST@@',
    last_heartbeat: '@@NOW@@',
    status: 'working',
    output_file: `.wg/agents/agent-${n}/output.log`,
    ...extra,
  };
}

export const BASE_REGISTRY: Record<string, unknown> = {
  agents: {
    'agent-1': baseAgent(1, 't-prog'),
    'agent-2': baseAgent(2, 't-prog2'),
    'agent-3': { ...baseAgent(3, 't-failed'), pid: 999999, pgid: 999999, proc_start: '1', status: 'dead', completed_at: '@@PAST@@' },
  },
  next_agent_id: 4,
};

/** Registry JSON with numeric placeholders unquoted (`"pid": @@AGENT1_PID@@`). */
export function registryText(reg: unknown): string {
  return JSON.stringify(reg, null, 2).replace(/"(@@[A-Z0-9_]+_PID@@)"/g, '$1') + '\n';
}

export const WATCH = ['.wg/graph.jsonl', '.wg/service/registry.json', '.wg/log/operations.jsonl', '.wg/config.toml'];

export function baseFiles(over: Partial<Record<'graph' | 'config' | 'registry', string>> = {}): Record<string, string> {
  return {
    '.wg/graph.jsonl': over.graph ?? graphText(),
    '.wg/config.toml': over.config ?? BASE_CONFIG,
    '.wg/service/registry.json': over.registry ?? registryText(BASE_REGISTRY),
  };
}

export const TASK_IDS = ['t-open', 't-dep', 't-prog', 't-prog2', 't-done', 't-failed', 't-paused', 't-loop', '.evaluate-t-done', 'r-gpu', 'missing', '__proto__', 'constructor'];
