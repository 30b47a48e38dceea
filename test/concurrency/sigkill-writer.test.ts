/**
 * Writers killed with SIGKILL at random instants (before the lock, under it, mid-write, after
 * the rename): graph.jsonl is always a complete old-or-new file, every write that reported
 * success is there, the flock dies with its holder, and orphaned temp files are swept by the
 * next successful writer.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { project, type Project } from '../helpers/project.js';
import { graphTemps, lockIsFree, logMessageCounts, operations, readGraphStrict, seedGraph, seedTask, type TaskLine } from '../helpers/files.js';
import { Procs } from '../helpers/proc.js';

const MIN_KILLS = 200;
const PARALLEL = 4;
/** Fails (rather than hangs) if a badly overloaded machine cannot deliver the kills in time. */
const TIME_BUDGET_MS = 85_000;
/** A large-ish graph so the lock is held (parse, plan, serialise, fsync) for a real window. */
const SEEDED = 500;
/** The next command's lock wait is bounded by this (WG_LOCK_TIMEOUT_MS)… */
const NEXT_COMMAND_LIMIT_MS = 2_000;
/** …and its whole run (start-up included) by this, which leaves room for a loaded CI box. */
const NEXT_COMMAND_WALL_LIMIT_MS = 10_000;
const KILLS_PER_ROUND = 10;
/** Kill delays never exceed this, however slow a loaded machine makes a writer's life. */
const MAX_DELAY_CAP_MS = 1_200;

describe('SIGKILL during writes', () => {
  let proj: Project | undefined;
  const procs = new Procs();
  afterEach(async () => {
    await procs.killAll();
    proj?.cleanup();
    proj = undefined;
  });

  it('sigkill_writer_never_tears_file', async () => {
    const t0 = performance.now();
    proj = project();
    const p = proj;
    const logTargets = ['log-target-a', 'log-target-b'];
    const seeded = [...logTargets, ...Array.from({ length: SEEDED }, (_, i) => `seed-${i}`)];
    seedGraph(p.graphPath, seeded.map((id) => seedTask(id)));

    const known = new Set(seeded); // ids that may legitimately be in the file
    const mustHave = new Set(seeded); // ids that must be in the file (seeded or reported added)
    const attemptedMessages = new Set<string>();
    const reportedMessages: Array<{ task: string; message: string }> = [];
    let seq = 0;

    /** What every check asserts: a complete, parseable file holding every reported write. */
    const verify = (): Map<string, TaskLine> => {
      const tasks = readGraphStrict(p.graphPath);
      // plain checks in the loops (hundreds of ids per check, hundreds of checks)
      for (const id of tasks.keys()) if (!known.has(id)) throw new Error(`unexpected id '${id}' in graph`);
      for (const id of mustHave) if (!tasks.has(id)) throw new Error(`task '${id}' reported added but missing`);
      const counts = logMessageCounts(tasks);
      for (const m of attemptedMessages) if ((counts.get(m) ?? 0) > 1) throw new Error(`log message '${m}' appears ${counts.get(m)} times`);
      for (const { task, message } of reportedMessages) {
        if (counts.get(message) !== 1) throw new Error(`log message '${message}' reported but found ${counts.get(message) ?? 0} times`);
        if (!tasks.get(task)!.log!.some((e) => e.message === message)) throw new Error(`log message '${message}' is not on '${task}'`);
      }
      return tasks;
    };

    const job = (): { args: string[]; id?: string; task?: string; message?: string } => {
      const n = seq++;
      if (n % 10 < 7) {
        const id = `victim-${n}`;
        known.add(id);
        return { args: ['add', `Victim ${n}`, '--id', id, '--json'], id };
      }
      const task = logTargets[n % 2]!;
      const message = `victim message ${n}`;
      attemptedMessages.add(message);
      return { args: ['log', task, message, '--json'], task, message };
    };

    /** Records what a writer reported (complete JSON on stdout counts, even if it was then killed). */
    const recordSuccess = (j: ReturnType<typeof job>, stdout: string): boolean => {
      let out: Record<string, unknown>;
      try {
        out = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        return false;
      }
      if (j.id) {
        expect(out.id).toBe(j.id);
        mustHave.add(j.id);
      } else {
        expect(out.task_id).toBe(j.task);
        reportedMessages.push({ task: j.task!, message: j.message! });
      }
      return true;
    };

    // Calibrate: how long does an unkilled writer live when PARALLEL run together? Kill
    // delays are uniform over 0 … max(150 ms, 1.2 × that life, capped at 1.2 s); the life is
    // re-estimated from every writer that finished, as it shifts with the machine's load. So
    // kills land everywhere: node's start-up, the lock wait, under the lock, mid-write, after
    // the rename, while printing.
    const calib = await Promise.all(
      Array.from({ length: PARALLEL }, () => {
        const j = job();
        return procs.wg(p.dir, j.args).result.then((r) => {
          expect(r.code, r.stderr).toBe(0);
          recordSuccess(j, r.stdout);
          return r.ms;
        });
      }),
    );
    verify();
    let life = [...calib].sort((a, b) => a - b)[Math.floor(calib.length / 2)]!; // median
    const stats = { kills: 0, completed: 0, killedAfterCommit: 0, killedAfterLock: 0, roundsWithTemps: 0, maxTemps: 0, slowestNextMs: 0, rounds: 0, maxDelay: 0 };
    const lockPath = `${p.wgDir}/graph.lock`;

    /** One writer: start it, SIGKILL it (by PID) after a random delay unless it finished. */
    const victim = async (): Promise<void> => {
      const j = job();
      const maxDelay = Math.max(150, Math.min(life * 1.2, MAX_DELAY_CAP_MS));
      stats.maxDelay = Math.max(stats.maxDelay, Math.round(maxDelay));
      const proc = procs.wg(p.dir, j.args);
      let killSent = false;
      const timer = setTimeout(() => {
        if (proc.child.exitCode === null && proc.child.signalCode === null) {
          killSent = true;
          process.kill(proc.pid, 'SIGKILL');
        }
      }, Math.random() * maxDelay);
      const r = await proc.result;
      clearTimeout(timer);
      if (r.signal === 'SIGKILL') {
        expect(killSent).toBe(true);
        stats.kills++;
        recordSuccess(j, r.stdout);
        // informative: the pid note in graph.lock is written once the lock is held
        try {
          if (readFileSync(lockPath, 'utf8').trim() === String(proc.pid)) stats.killedAfterLock++;
        } catch {
          // no lock file yet
        }
        // killed, yet its task is in the file: the kill landed after the rename
        if (j.id && readGraphStrict(p.graphPath).has(j.id)) stats.killedAfterCommit++;
      } else {
        // not killed in time: it must have succeeded normally
        expect(r.code, `wg ${j.args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(recordSuccess(j, r.stdout)).toBe(true);
        stats.completed++;
        life = life * 0.8 + r.ms * 0.2;
      }
    };

    let check = 0;
    while (stats.kills < MIN_KILLS) {
      expect(performance.now() - t0, `only ${stats.kills} kills within the time budget`).toBeLessThan(TIME_BUDGET_MS);
      stats.rounds++;
      // A round: PARALLEL slots, each starting a new victim as soon as its last one is gone
      // (so live writers also wait on locks that a killed holder drops), until the round has
      // KILLS_PER_ROUND kills.
      const roundTarget = stats.kills + KILLS_PER_ROUND;
      const killsBefore = stats.kills;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (stats.kills < roundTarget) await victim();
        }),
      );

      // After the round: the file is whole and holds every reported write.
      verify();
      const temps = graphTemps(p.wgDir).length;
      if (temps > 0) stats.roundsWithTemps++;
      stats.maxTemps = Math.max(stats.maxTemps, temps);
      // bounded: only this round's killed writers can have left a temp file behind
      expect(temps).toBeLessThanOrEqual(stats.kills - killsBefore);

      // The flock died with its holder: nobody holds it now (probed directly, non-blocking)…
      expect(lockIsFree(lockPath), 'graph.lock is still held after the writers were killed').toBe(true);
      // …so the next ordinary write gets it at once (it may wait at most 2 s for the lock, else
      // it fails with lock_timeout) and sweeps the orphaned temp files. Its wall time is
      // checked too; that includes node's start-up, which a loaded machine can stretch.
      const id = `check-${check++}`;
      known.add(id);
      const next = await procs.wg(p.dir, ['add', `Check ${id}`, '--id', id, '--json'], { WG_LOCK_TIMEOUT_MS: String(NEXT_COMMAND_LIMIT_MS) }).result;
      expect(next.code, next.stderr).toBe(0);
      expect(next.ms, 'the command after a kill took too long').toBeLessThan(NEXT_COMMAND_WALL_LIMIT_MS);
      stats.slowestNextMs = Math.max(stats.slowestNextMs, Math.round(next.ms));
      mustHave.add(id);
      expect(graphTemps(p.wgDir)).toEqual([]);
      verify();
    }

    // One final ordinary write on the battered graph: everything is still consistent.
    const final = await procs.wg(p.dir, ['log', logTargets[0]!, 'final message', '--json']).result;
    expect(final.code, final.stderr).toBe(0);
    reportedMessages.push({ task: logTargets[0]!, message: 'final message' });
    attemptedMessages.add('final message');
    const tasks = verify();
    expect(graphTemps(p.wgDir)).toEqual([]);
    // the seeded tasks survived every rewrite unchanged in count and order
    expect([...tasks.keys()].slice(0, seeded.length)).toEqual(seeded);
    // the provenance log is whole too (a killed writer may have missed its line, never torn it)
    const ops = operations(p.wgDir);
    // (a writer appends its line before it prints success, so every reported write has one)
    expect(ops.length).toBeGreaterThanOrEqual(mustHave.size - seeded.length + reportedMessages.length);
    expect(ops.length).toBeLessThanOrEqual(seq + check + 1);

    console.log(
      `sigkill: ${stats.kills} kills in ${stats.rounds} rounds (max delay ${stats.maxDelay} ms), ${stats.completed} finished first, ` +
        `${stats.killedAfterLock} killed after taking the lock, ${stats.killedAfterCommit} after the rename, ` +
        `temp files left in ${stats.roundsWithTemps} rounds (max ${stats.maxTemps}), ` +
        `slowest next command ${stats.slowestNextMs} ms, ${Math.round(performance.now() - t0)} ms total`,
    );
    expect(stats.kills).toBeGreaterThanOrEqual(MIN_KILLS);
  }, 100_000);
});
