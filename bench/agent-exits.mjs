// Agent exits (issue 9): how long the real claude/codex CLIs take, run by `wg service start`
// against the loopback mock APIs, to turn a silent exit or an API error into a failed task; the
// time from an agent's `wg done` to the next spawn; and the executions counted when the service
// is kill -9'd five times while 40 shell tasks run. The scenarios are the tests themselves
// (test/real-agents/service.test.ts, test/service/exactly-once.test.ts), which print their
// numbers; this script runs them `runs` times and summarizes those lines.
// Usage: npm run build && node bench/agent-exits.mjs [runs=1]
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib.mjs';

const runs = Number(process.argv[2] ?? 1);
const found = { silentClaude: [], silentCodex: [], api529: [], doneToClaim: [], doneToSpawn: [], restart: [] };
for (let i = 0; i < runs; i++) {
  const r = spawnSync('npx', ['vitest', 'run', 'test/real-agents/service.test.ts', 'test/service/exactly-once.test.ts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const text = `${r.stdout}\n${r.stderr}`;
  const num = (re) => [...text.matchAll(re)].map((m) => Number(m[1]));
  found.silentClaude.push(...num(/claude silent exit → failed: (\d+) ms/g));
  found.silentCodex.push(...num(/codex silent exit → failed: (\d+) ms/g));
  found.api529.push(...num(/claude API 529 \(1 retry\) → failed: (\d+) ms/g));
  found.doneToClaim.push(...num(/wg done of a → b claimed for its agent: (\d+) ms/g));
  found.doneToSpawn.push(...num(/b spawned (\d+) ms after/g));
  for (const m of text.matchAll(/\[exactly-once\] 40 tasks, 5 × kill -9 after ([\d/]+) ms: (\d+) executions, (\d+) repeated, (\d+) adoptions, (\d+) spawns lost, (\d+) ms/g)) {
    found.restart.push({ kills: m[1], executions: Number(m[2]), repeated: Number(m[3]), adoptions: Number(m[4]), lost: Number(m[5]), ms: Number(m[6]) });
  }
  if (r.status !== 0) console.error(`run ${i + 1}: vitest exited ${r.status}`);
}
const med = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
console.log('| path | median ms | runs |\n|---|---:|---:|');
for (const [k, label] of [
  ['silentClaude', 'claude exits without wg done → task failed (from spawn)'],
  ['silentCodex', 'codex exits without wg done → task failed (from spawn)'],
  ['api529', 'claude, API 529 (1 retry) → task failed (from spawn)'],
  ['doneToClaim', "claude's wg done → next task claimed for its agent"],
  ['doneToSpawn', "claude's wg done → next agent spawned (wrapper running)"],
]) console.log(`| ${label} | ${med(found[k])} | ${found[k].length} |`);
for (const r of found.restart) console.log(`restart: kills after ${r.kills} ms → ${r.executions} executions of 40 tasks, ${r.repeated} repeated, ${r.adoptions} adoptions, ${r.lost} spawns lost, ${r.ms} ms`);
