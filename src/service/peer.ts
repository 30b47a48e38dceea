/**
 * Who is on the other end of a connection to the service's socket (issue 14, point 7)? The
 * socket is 0600, so only this user's processes connect — agents included, and an agent must
 * not pause, resume or stop the service that supervises it, whatever it writes to the socket.
 *
 * Node has no SO_PEERCRED, so the question goes to the kernel's sock_diag through `ss -xp`
 * (iproute2): the line of our accepted socket (its inode, from fstat) names the peer socket's
 * inode, and the line of that inode names the processes holding it. Undefined when that cannot
 * be told (no `ss`, no /proc): the caller falls back to what the client says of itself.
 */
import { execFile } from 'node:child_process';
import { fstatSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** The inode of an accepted Unix socket (the server's end), if its descriptor is reachable. */
function socketInode(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return fstatSync(fd).ino;
  } catch {
    return undefined;
  }
}

/** The pids in an `ss -p` users field: `users:(("node",pid=12,fd=3),("sh",pid=13,fd=3))`. */
const pidsOf = (line: string): number[] => [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));

/** From `ss -xpnH` output: the pids holding the peer of the socket with inode `ino`. */
export function peerPidsFromSs(output: string, ino: number): number[] | undefined {
  const lines = output.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
  // Our end: `… <local inode> <peer address> <peer inode> [users:…]`; the client's end is
  // unbound, so it is `* <client inode> * <our inode> users:((…pid=N…))`.
  const ours = lines.find((l) => new RegExp(`(^| )${ino} \\S+ \\d+( |$)`).test(l));
  const peer = ours ? new RegExp(`(^| )${ino} \\S+ (\\d+)( |$)`).exec(ours)?.[2] : undefined;
  if (!peer) return undefined;
  const theirs = lines.find((l) => new RegExp(`(^| )${peer} \\S+ ${ino}( |$)`).test(l));
  if (!theirs) return undefined;
  const pids = pidsOf(theirs);
  return pids.length ? pids : undefined;
}

/** What `ss` says of the other end of `sock`: its pids, or that it hung up, or nothing (no `ss`, no answer). */
export type PeerLookup = { pids: number[] } | { gone: true } | { unknown: string };

export function peerPids(sock: Socket): Promise<PeerLookup> {
  const ino = socketInode(sock);
  // An open Unix socket of the server always has its descriptor: without one, the client hung up.
  if (ino === undefined) return Promise.resolve({ gone: true });
  return new Promise((resolve) => {
    execFile('ss', ['-xpnH'], { encoding: 'utf8', timeout: 5000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve({ unknown: `ss: ${err.message.split('\n')[0]}` });
      const pids = peerPidsFromSs(stdout, ino);
      if (pids) return resolve({ pids });
      // Our end is listed but not the peer's: the client closed its end already.
      const listed = stdout.split('\n').some((l) => new RegExp(`(^|\\s)${ino}\\s`).test(l));
      resolve(listed ? { gone: true } : { unknown: `ss does not list socket ${ino}` });
    });
  });
}

/** Parent pid and process group of `pid`, from /proc. */
function parentAndGroup(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Is `pid` one of the service's agents, or a process an agent started? Its process group is an
 * agent's, or so is the group of one of its ancestors (a child that moved to a group of its own
 * is still found through its parents).
 */
export function isAgentProcess(pid: number, agentGroups: ReadonlySet<number>): boolean {
  return agentGroupOf(pid, agentGroups) !== undefined;
}

/** The value of WG_AGENT_ID in the environment `pid` was started with (/proc/<pid>/environ), if any. */
function agentIdInEnvironment(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    for (const kv of env.split('\0')) if (kv.startsWith('WG_AGENT_ID=')) return kv.slice('WG_AGENT_ID='.length);
  } catch {
    // gone, or not ours to read
  }
  return undefined;
}

/** Who asked, as far as the service can tell. */
export type PeerVerdict = { agent: string; pid: number } | { agent?: undefined; gone?: true; unknown?: string };

/**
 * Is the peer of `sock` one of the service's agents (`agents`: process group → agent id) or a
 * process one of them started? By its process tree (isAgentProcess), or by the environment it
 * was started with naming one of those agents (a grandchild that left the agent's group and
 * tree but kept the environment). A process that both leaves the tree and scrubs its
 * environment cannot be told from a human's: the socket's 0600 mode is the boundary there.
 */
export async function judgePeer(sock: Socket, agents: ReadonlyMap<number, string>): Promise<PeerVerdict> {
  const found = await peerPids(sock);
  if ('gone' in found) return { gone: true };
  if ('unknown' in found) return { unknown: found.unknown };
  const groups = new Set(agents.keys());
  const ids = new Set(agents.values());
  for (const pid of found.pids) {
    const fromEnv = agentIdInEnvironment(pid);
    if (fromEnv !== undefined && ids.has(fromEnv)) return { agent: fromEnv, pid };
    const group = agentGroupOf(pid, groups);
    if (group !== undefined) return { agent: agents.get(group)!, pid };
  }
  return {};
}

/** The agent process group that `pid` or one of its ancestors is in (or that one of them leads). */
function agentGroupOf(pid: number, agentGroups: ReadonlySet<number>): number | undefined {
  let p = pid;
  for (let i = 0; i < 64 && p > 1; i++) {
    const s = parentAndGroup(p);
    if (!s) return undefined;
    if (agentGroups.has(s.pgrp)) return s.pgrp;
    if (agentGroups.has(p)) return p;
    p = s.ppid;
  }
  return undefined;
}
