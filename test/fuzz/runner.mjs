/**
 * The fuzz runner: runs a batch of `wg` cases and reports one JSON line per case. Meant to run
 * as PID 1 of a private PID namespace (`unshare --pid --fork --mount-proc node runner.mjs FILE`),
 * so that whatever a case starts (agents, a service) dies with the namespace, and a stray
 * `kill(-1)` or a signal to a foreign group can reach only the processes in here: the
 * bystander, whose survival every case checks, and the stand-in agents.
 *
 * Plain JavaScript that imports nothing from the project: it must run without a build step.
 *
 * Input (JSON file): { wg, node, path, concurrency, caseTimeoutMs, agents, cases: [{ files:
 * {relPath: text}, argvs: [[...]], env?, watch?: [relPath], read?: [relPath] }] }. In file texts and argv,
 * `@@NAME@@` is replaced by: BYSTANDER_PID, BYSTANDER_START, AGENTn_PID, AGENTn_START (n = 1..
 * agents; fresh processes for every case), RUNNER_PID, HOST, NOW, PAST (timestamps).
 *
 * Output, one line per case: { i, results: [{ code, signal, stdout, stderr, ms, timedOut }],
 * changed: [relPath] (watched files whose bytes changed, only when a command failed),
 * bystander: bool, agents: [{ pid, start, died }], vars, files: {relPath: text after the case} }.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function procStart(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}

/** A long sleeper in its own process group; `died` flips when it exits. */
function sleeper() {
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  const p = { child, pid: child.pid, start: undefined, died: false };
  child.on('exit', () => (p.died = true));
  return p;
}

async function started(p) {
  for (let i = 0; i < 200 && !p.start; i++) {
    p.start = procStart(p.pid);
    if (!p.start) await new Promise((r) => setTimeout(r, 5));
  }
  return p;
}

function kill(p) {
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

const bystander = await started(sleeper());
const now = new Date();

function substitute(text, vars) {
  return text.replace(/@@([A-Z0-9_]+)@@/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

function runOne(cwd, argv, env) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // Detached: wg leads its own process group, as a command started from a shell does.
    const child = spawn(input.node, [input.wg, ...argv], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, input.caseTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.slice(0, 4000), stderr: stderr.slice(0, 4000), ms: Date.now() - t0, timedOut });
    });
  });
}

async function runCase(c, i) {
  const agents = [];
  for (let n = 0; n < (input.agents ?? 0); n++) agents.push(sleeper());
  await Promise.all(agents.map(started));
  const vars = {
    BYSTANDER_PID: bystander.pid,
    BYSTANDER_START: bystander.start,
    RUNNER_PID: process.pid,
    HOST: hostname(),
    NOW: now.toISOString(),
    PAST: new Date(now.getTime() - 3_600_000).toISOString(),
  };
  agents.forEach((a, n) => {
    vars[`AGENT${n + 1}_PID`] = a.pid;
    vars[`AGENT${n + 1}_START`] = a.start;
  });
  const dir = mkdtempSync(join(tmpdir(), 'wg-fuzz-'));
  try {
    for (const [rel, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), substitute(text, vars));
    }
    const read = (rel) => {
      try {
        return readFileSync(join(dir, rel));
      } catch {
        return undefined;
      }
    };
    const env = { PATH: input.path, HOME: dir, USER: 'fuzzer', WG_USER: 'fuzzer', LANG: 'C', WG_LOCK_TIMEOUT_MS: '3000', ...(c.env ?? {}) };
    const results = [];
    const changed = [];
    for (const argv of c.argvs) {
      const before = (c.watch ?? []).map(read);
      const r = await runOne(dir, argv.map((a) => substitute(a, vars)), env);
      results.push(r);
      if (r.code !== 0) {
        (c.watch ?? []).forEach((rel, k) => {
          const after = read(rel);
          const b = before[k];
          if ((b === undefined) !== (after === undefined) || (b && after && !b.equals(after))) changed.push(rel);
        });
      }
    }
    // A moment for a stray SIGTERM to land before survival is judged.
    await new Promise((r) => setTimeout(r, 20));
    const files = Object.fromEntries((c.read ?? []).map((rel) => [rel, read(rel)?.toString('utf8') ?? null]));
    const out = { i, results, changed, bystander: !bystander.died, agents: agents.map((a) => ({ pid: a.pid, start: a.start, died: a.died })), vars, files };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    agents.forEach(kill);
    rmSync(dir, { recursive: true, force: true });
  }
}

let next = 0;
async function worker() {
  while (next < input.cases.length) {
    const i = next++;
    await runCase(input.cases[i], i);
    if (bystander.died) break;
  }
}
await Promise.all(Array.from({ length: input.concurrency ?? 1 }, worker));
kill(bystander);
// PID 1 of the namespace: leaving ends every process still in it (agents, services).
process.exit(0);
