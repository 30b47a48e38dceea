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
import { spawnSync } from 'node:child_process';
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

export function peerPids(sock: Socket): number[] | undefined {
  const ino = socketInode(sock);
  if (ino === undefined) return undefined;
  const r = spawnSync('ss', ['-xpnH'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  return peerPidsFromSs(r.stdout, ino);
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
  let p = pid;
  for (let i = 0; i < 64 && p > 1; i++) {
    const s = parentAndGroup(p);
    if (!s) return false;
    if (agentGroups.has(s.pgrp) || agentGroups.has(p)) return true;
    p = s.ppid;
  }
  return false;
}
