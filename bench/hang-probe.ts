// The cost of one hang-check sample (src/agents/activity.ts): N agents, each a `sleep` in its own
// process group with an output.log; `sampleActivity` timed over `runs` scans (wall and this
// process's CPU). Prints one JSON line. Bundled and run by bench/hang-detection.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleActivity } from '../src/agents/activity.js';

const n = Number(process.argv[2] ?? 10);
const runs = Number(process.argv[3] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'wg-bench-hang-'));
const pids: number[] = [];
try {
  const agents = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    c.unref();
    pids.push(c.pid!);
    const agentDir = join(dir, `agent-${i}`);
    mkdirSync(agentDir);
    writeFileSync(join(agentDir, 'output.log'), 'x\n');
    agents.push({ id: `agent-${i}`, pgid: c.pid!, outputFile: join(agentDir, 'output.log'), agentDir });
  }
  sampleActivity(agents); // warm
  const procs = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    sampleActivity(agents);
    ms.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  ms.sort((a, b) => a - b);
  console.log(JSON.stringify({ agents: n, processes: procs, median: ms[Math.floor(ms.length / 2)], p95: ms[Math.floor(ms.length * 0.95)], cpuMsPerScan: (cpu.user + cpu.system) / 1000 / runs }));
} finally {
  for (const p of pids) {
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
