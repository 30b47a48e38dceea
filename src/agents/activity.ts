/**
 * Sampling agents' signs of life for the hang rule (core/idle.ts): output.log's size and mtime,
 * the agent's `wg-call` marker, and the CPU time of its whole process group — one scan of
 * /proc per sample, however many agents there are. Also the marker itself: every `wg` an agent
 * runs touches `agents/<id>/wg-call` (src/cli/main.ts calls `markWgCall`).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivitySample } from '../core/idle.js';

/** The marker every `wg` call of an agent touches (its mtime is the last call). */
export const WG_CALL_FILE = 'wg-call';

const AGENT_ID = /^agent-[A-Za-z0-9_-]+$/;

/**
 * Called by the CLI on every command: inside an agent (WG_AGENT_ID and WG_DIR set by the
 * service) it touches the agent's marker. Best effort and cheap (one small write); never
 * creates the agent's directory and never fails a command.
 */
export function markWgCall(env: NodeJS.ProcessEnv): void {
  const id = env.WG_AGENT_ID;
  const dir = env.WG_DIR;
  if (!id || !dir || !AGENT_ID.test(id)) return;
  try {
    writeFileSync(join(dir, 'agents', id, WG_CALL_FILE), '');
  } catch {
    // no agent directory (not a service agent), read-only file system: no marker
  }
}

const statKey = (path: string): string => {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
};

/**
 * utime+stime (clock ticks) of every process, summed by process group, for the groups asked.
 * One readdir of /proc and one read of each /proc/<pid>/stat. Undefined when /proc is not
 * there (the hang rule then never fires: it cannot prove a group idle).
 */
export function cpuTicksByGroup(pgids: ReadonlySet<number>): Map<number, number> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const out = new Map<number, number>();
  for (const g of pgids) out.set(g, 0);
  if (!pgids.size) return out;
  for (const e of entries) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a PID
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after comm (which may hold spaces and parens): rest[0] = field 3 (state),
    // rest[2] = field 5 (pgrp), rest[11] = field 14 (utime), rest[12] = field 15 (stime).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(rest[2]);
    if (!pgids.has(pgrp)) continue;
    out.set(pgrp, out.get(pgrp)! + Number(rest[11]) + Number(rest[12]));
  }
  return out;
}

export interface SampledAgent {
  id: string;
  pgid: number;
  outputFile: string | undefined;
  agentDir: string;
}

/** One sample of each agent's signs of life (one /proc scan for all of them). */
export function sampleActivity(agents: readonly SampledAgent[]): Map<string, ActivitySample> {
  const cpu = cpuTicksByGroup(new Set(agents.map((a) => a.pgid)));
  const out = new Map<string, ActivitySample>();
  for (const a of agents) {
    out.set(a.id, {
      output: a.outputFile ? statKey(a.outputFile) : '',
      wgCall: statKey(join(a.agentDir, WG_CALL_FILE)),
      cpuTicks: cpu?.get(a.pgid),
    });
  }
  return out;
}
