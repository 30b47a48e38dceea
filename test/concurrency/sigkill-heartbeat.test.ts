/**
 * `wg heartbeat` is what agents call most, and agents are what the service SIGKILLs. A heartbeat
 * killed at any instant must leave service/registry.json whole, release registry.lock, leave
 * graph.jsonl untouched (SPEC §1 rule 8), and its orphaned temp file must be swept by the next
 * registry writer, as graph.jsonl's are.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { project, type Project } from '../helpers/project.js';
import { lockIsFree } from '../helpers/files.js';
import { Procs } from '../helpers/proc.js';

const MIN_KILLS = 60;
const PARALLEL = 4;
const KILLS_PER_ROUND = 8;
const MAX_DELAY_CAP_MS = 1_200;
const TIME_BUDGET_MS = 60_000;

describe('SIGKILL during heartbeats', () => {
  let proj: Project | undefined;
  const procs = new Procs();
  afterEach(async () => {
    await procs.killAll();
    proj?.cleanup();
    proj = undefined;
  });

  it('sigkill_heartbeat_never_tears_registry', async () => {
    const t0 = performance.now();
    proj = project();
    const p = proj;
    expect(p.run(['add', 'Agent work', '--id', 'work']).code).toBe(0);
    const graphBefore = p.readGraph();
    const serviceDir = join(p.wgDir, 'service');
    mkdirSync(serviceDir, { recursive: true });
    const registryPath = join(serviceDir, 'registry.json');
    const lockPath = join(serviceDir, '.registry.lock');
    // A few agents so the registry is more than a handful of bytes.
    const agents: Record<string, unknown> = {};
    for (let i = 1; i <= 40; i++) {
      agents[`agent-${i}`] = { id: `agent-${i}`, task_id: 'work', started_at: '2026-01-01T00:00:00.000Z', status: i === 1 ? 'working' : 'done', executor: 'shell', output_file: `agents/agent-${i}/output.log` };
    }
    writeFileSync(registryPath, JSON.stringify({ agents, next_agent_id: 41 }, null, 2) + '\n');
    const temps = (): string[] => readdirSync(serviceDir).filter((n) => n.startsWith('registry.json.'));

    /** The stamp the last sequential (unkilled, uncontended) heartbeat reported. */
    let reportedLatest = '';
    const verify = (): void => {
      const reg = JSON.parse(readFileSync(registryPath, 'utf8')) as { agents: Record<string, { last_heartbeat?: string }>; next_agent_id: number };
      expect(Object.keys(reg.agents)).toHaveLength(40);
      expect(reg.next_agent_id).toBe(41);
      // right after a heartbeat that ran alone, exactly its stamp is on file (nothing lost)
      if (reportedLatest) expect(reg.agents['agent-1']!.last_heartbeat).toBe(reportedLatest);
      expect(p.readGraph()).toBe(graphBefore);
    };
    const report = (stdout: string): boolean => {
      try {
        const out = JSON.parse(stdout) as { agent: string; last_heartbeat: string };
        expect(out.agent).toBe('agent-1');
        return true;
      } catch {
        return false;
      }
    };

    // Calibrate the kill delays on how long a heartbeat lives when PARALLEL run together.
    const calib = await Promise.all(Array.from({ length: PARALLEL }, () => procs.wg(p.dir, ['heartbeat', 'agent-1', '--json']).result));
    for (const r of calib) expect(r.code, r.stderr).toBe(0);
    let life = calib.map((r) => r.ms).sort((a, b) => a - b)[PARALLEL >> 1]!;
    const stats = { kills: 0, completed: 0, roundsWithTemps: 0, slowestNextMs: 0 };
    const victim = async (): Promise<void> => {
      const proc = procs.wg(p.dir, ['heartbeat', 'agent-1', '--json']);
      let killSent = false;
      const timer = setTimeout(
        () => {
          if (proc.child.exitCode === null && proc.child.signalCode === null) {
            killSent = true;
            process.kill(proc.pid, 'SIGKILL');
          }
        },
        Math.random() * Math.max(150, Math.min(life * 1.2, MAX_DELAY_CAP_MS)),
      );
      const r = await proc.result;
      clearTimeout(timer);
      if (r.signal === 'SIGKILL') {
        expect(killSent).toBe(true);
        stats.kills++;
        report(r.stdout);
      } else {
        expect(r.code, r.stderr).toBe(0);
        expect(report(r.stdout)).toBe(true);
        stats.completed++;
        life = life * 0.8 + r.ms * 0.2;
      }
    };

    while (stats.kills < MIN_KILLS) {
      expect(performance.now() - t0, `only ${stats.kills} kills within the time budget`).toBeLessThan(TIME_BUDGET_MS);
      const target = stats.kills + KILLS_PER_ROUND;
      reportedLatest = '';
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (stats.kills < target) await victim();
        }),
      );
      verify();
      if (temps().length) stats.roundsWithTemps++;
      expect(lockIsFree(lockPath), 'registry.lock still held after its holders were killed').toBe(true);
      const next = await procs.wg(p.dir, ['heartbeat', 'agent-1', '--json'], { WG_LOCK_TIMEOUT_MS: '2000' }).result;
      expect(next.code, next.stderr).toBe(0);
      expect(report(next.stdout)).toBe(true);
      reportedLatest = next.json<{ last_heartbeat: string }>().last_heartbeat;
      // (its lock wait is bounded by WG_LOCK_TIMEOUT_MS; the wall time includes node's start-up,
      // which a loaded machine stretches, so that bound only catches a hang)
      expect(next.ms).toBeLessThan(10_000);
      stats.slowestNextMs = Math.max(stats.slowestNextMs, Math.round(next.ms));
      verify();
      expect(temps(), 'orphaned registry temp files were not swept').toEqual([]);
    }

    // Deterministic too: the temp file a writer killed between open and rename leaves behind
    // (`<name>.wg-tmp-<pid>-<n>`) is swept by the next registry write.
    writeFileSync(join(serviceDir, 'registry.json.wg-tmp-999999-1'), '{"agents": {"agent-1": {"id": "age');
    const final = await procs.wg(p.dir, ['heartbeat', 'agent-1', '--json']).result;
    expect(final.code, final.stderr).toBe(0);
    reportedLatest = final.json<{ last_heartbeat: string }>().last_heartbeat;
    verify();
    expect(temps()).toEqual([]);
    console.log(`heartbeat: ${stats.kills} kills, ${stats.completed} finished first, temp files left in ${stats.roundsWithTemps} rounds, slowest next heartbeat ${stats.slowestNextMs} ms, ${Math.round(performance.now() - t0)} ms total`);
  }, 75_000);
});
