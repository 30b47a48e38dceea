/**
 * The registry record of a spawn (src/service/spawn.ts), write by write. The record is in the
 * registry before the claim, and complete before the launch — its output file and the claim's
 * epoch — so a service that dies mid-spawn leaves a record a restarted service can adopt and fence.
 * It is written twice before the agent runs (starting, then working with its PID), not three times:
 * the epoch is the one the claim will have (the next after the task's as the tick saw it); when
 * the claim lands at another epoch (the task moved meanwhile) the record is corrected before launch.
 */
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings.js';
import type { StepContext } from '../../src/service/context.js';
import { ServiceEvents } from '../../src/service/events.js';
import { GraphView } from '../../src/service/graph-view.js';
import { ServiceRegistry } from '../../src/service/registry-view.js';
import { spawnAgent } from '../../src/service/spawn.js';
import { Supervisor } from '../../src/service/supervisor.js';
import { pathsFor } from '../../src/store/paths.js';
import type { AgentRecord, Registry } from '../../src/store/registry.js';
import { serviceProject, type ServiceProject } from '../helpers/project.js';
import { WG_BIN } from '../helpers/wg.js';

describe('spawn: the registry record before the launch', () => {
  let p: ServiceProject | undefined;
  let view: GraphView | undefined;
  afterEach(() => {
    view?.close();
    view = undefined;
    p?.cleanup(); // kills the agents the registry names (their own process groups)
    p = undefined;
  });

  /** A spawn step context on `p`'s files, recording the agent's record after each registry write. */
  function context(q: ServiceProject): { ctx: StepContext; graph: GraphView; records: AgentRecord[] } {
    const paths = pathsFor(q.wgDir);
    const settings = loadSettings(paths.config, {});
    const inner = new ServiceRegistry(paths);
    const records: AgentRecord[] = [];
    const registry = {
      current: () => inner.current(),
      async update<R>(fn: (r: Registry) => R): Promise<R> {
        const out = await inner.update(fn);
        const a = Object.values(inner.current().agents)[0];
        if (a) records.push(structuredClone(a));
        return out;
      },
    };
    const graph = new GraphView(paths, false);
    view = graph;
    const supervisor = new Supervisor(() => undefined, settings.dispatcher.killGraceMs, paths.agentsDir, join(dirname(WG_BIN), 'agent-wrapper.sh'));
    const ctx = { paths, settings, host: 'test-host', events: new ServiceEvents(), supervisor, graph, registry, agentPath: process.env.PATH ?? '', warn: () => undefined } as unknown as StepContext;
    return { ctx, graph, records };
  }

  /** A project with one shell task `t`, and the spawn's context after one refresh. */
  function withTask() {
    p = serviceProject();
    p.add('t', ['--exec', 'sleep 30']);
    const now = new Date();
    const c = context(p);
    c.graph.refresh(now);
    return { ...c, now, project: p };
  }

  it('two writes: starting (epoch and output file already in it), then working with the PID', async () => {
    const { ctx, graph, records, now, project } = withTask();
    expect(await spawnAgent(ctx, new Map(), graph.graph().get('t')!, 'shell', now)).toBe(true);
    const out = join(project.wgDir, 'agents', 'agent-1', 'output.log');
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ id: 'agent-1', task_id: 't', status: 'starting', claim_epoch: 1, output_file: out });
    expect(records[0]!.pid).toBeUndefined();
    expect(records[1]).toMatchObject({ id: 'agent-1', status: 'working', claim_epoch: 1, output_file: out, pid: expect.any(Number) });
    expect(project.task('t')).toMatchObject({ status: 'in-progress', assigned: 'agent-1', claim_epoch: 1 });
  });

  it('a claim at another epoch than the tick saw (the task moved meanwhile) is recorded again before the launch', async () => {
    const { ctx, graph, records, now, project } = withTask();
    const seen = graph.graph().get('t')!;
    expect(seen.claim_epoch ?? 0).toBe(0);
    // Another process claims and releases it after the tick read it: the task is at epoch 2.
    project.ok(['claim', 't', '--actor', 'someone']);
    project.ok(['unclaim', 't']);
    expect(project.task('t')).toMatchObject({ status: 'open', claim_epoch: 2 });
    expect(await spawnAgent(ctx, new Map(), seen, 'shell', now)).toBe(true);
    expect(project.task('t')).toMatchObject({ status: 'in-progress', assigned: 'agent-1', claim_epoch: 3 });
    expect(records.map((r) => [r.status, r.claim_epoch, r.pid === undefined])).toEqual([
      ['starting', 1, true],
      ['starting', 3, true],
      ['working', 3, false],
    ]);
  });
});
