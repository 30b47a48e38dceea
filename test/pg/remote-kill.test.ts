/**
 * `wg kill` of an agent that runs on another host (PostgreSQL, issue 13). Host A has no agents;
 * host B's service runs one. From A, `wg kill` records a kill request in the shared registry and
 * NOTIFYs; B's service acts on it (the same checks as a local kill), writes back what it did, and
 * A's command waits for that answer and reports it. With B's service down, A's command names the
 * host that did not answer (bounded wait) and the request stays: B's next service carries it out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, sql } from '../helpers/pg.js';
import { safeKill, sleep } from '../helpers/proc.js';
import { wg } from '../helpers/wg.js';

interface Host {
  id: string;
  dir: string;
  run(args: string[]): ReturnType<typeof wg>;
  servicePid?: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function host(url: string, id: string): Host {
  const dir = mkdtempSync(join(tmpdir(), `wg-${id}-`));
  const run = (args: string[]) => wg(dir, args, { WG_HOST_ID: id });
  if (run(['init']).code !== 0) throw new Error('wg init failed');
  writeFileSync(
    join(dir, '.wg', 'config.toml'),
    `[dispatcher]\nexecutor = "shell"\nmax_agents = 1\nsettling_delay = "0s"\npoll_interval = "500ms"\nheartbeat_timeout = "30s"\nkill_grace = "1s"\n\n[store]\nurl = "${url}"\n`,
  );
  const h: Host = { id, dir, run };
  cleanups.push(async () => {
    if (h.servicePid) h.run(['service', 'stop']);
    // Every agent process group this host started (from the shared registry), then its service.
    const rows = await sql<{ record: string }>(url, `SELECT record FROM wg_agents WHERE host = $1`, [id]).catch(() => []);
    for (const r of rows) {
      const rec = JSON.parse(r.record) as { pid?: number; pgid?: number };
      if (rec.pgid) safeKill(-rec.pgid);
      else if (rec.pid) safeKill(rec.pid);
    }
    if (h.servicePid) safeKill(h.servicePid);
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

function startService(h: Host): void {
  const r = h.run(['service', 'start', '--json']);
  if (r.code !== 0) throw new Error(`service start on ${h.id} failed: ${r.stderr}`);
  h.servicePid = (JSON.parse(r.stdout) as { pid: number }).pid;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface AgentRow {
  id: string;
  status: string;
  record: string;
}
const agent = async (url: string, id: string): Promise<(AgentRow & { rec: Record<string, unknown> }) | undefined> => {
  const [r] = await sql<AgentRow>(url, `SELECT id, status, record FROM wg_agents WHERE id = $1`, [id]);
  return r ? { ...r, rec: JSON.parse(r.record) as Record<string, unknown> } : undefined;
};

/** B runs one agent (`sleep 300`) for task `long`; its id and PID once it works. */
async function runningAgentOnB(url: string, a: Host, b: Host): Promise<{ id: string; pid: number }> {
  expect(a.run(['add', 'Long work', '--id', 'long', '--exec', 'sleep 300']).code).toBe(0);
  startService(b);
  let found: { id: string; pid: number } | undefined;
  await until(
    'an agent of host-b works on long',
    async () => {
      const [r] = await sql<AgentRow & { host: string }>(url, `SELECT id, status, record, host FROM wg_agents WHERE task_id = 'long' AND status = 'working'`);
      const pid = r ? (JSON.parse(r.record) as { pid?: number }).pid : undefined;
      if (r && pid && processAlive(pid)) found = { id: r.id, pid };
      return !!found && r!.host === 'host-b';
    },
    30_000,
  );
  return found!;
}

describe('wg kill of an agent on another host', () => {
  it("host A asks, host B's service kills its agent (checked as a local kill), A reports what B did", async () => {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const a = host(db.url, 'host-a');
    const b = host(db.url, 'host-b');
    const { id, pid } = await runningAgentOnB(db.url, a, b);

    const r = a.run(['kill', id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { signalled: boolean; pending?: boolean };
    expect(out).toMatchObject({ agent: id, was_alive: true, host: 'host-b', task: { id: 'long', paused: true } });
    expect(out.pending).toBeUndefined(); // B answered within the bound
    // The process on B is gone (B signalled its group), its record says why, the request is answered.
    await until(`agent ${id} (PID ${pid}) exits`, async () => !processAlive(pid), 15_000);
    const rec = (await agent(db.url, id))!;
    expect(rec.status).toBe('dead');
    expect(rec.rec.kill_request).toBeUndefined();
    // B signalled the group itself — unless B's own tick, woken by the release A committed first,
    // had already stopped it for its lost claim (which of the two comes first is the race's): then
    // B answers that the agent had exited. Either way A reported B's answer, not a guess.
    const result = rec.rec.kill_result as { host: string; signalled: boolean; was?: string };
    expect(result.host).toBe('host-b');
    expect(result.signalled || typeof result.was === 'string', JSON.stringify(result)).toBe(true);
    expect(out.signalled).toBe(result.signalled);
    expect(String(rec.rec.exit_reason)).toMatch(/kill/);
  }, 120_000);

  it("with B's service down, A names the host that did not answer; B's next service carries the request out", async () => {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const a = host(db.url, 'host-a');
    const b = host(db.url, 'host-b');
    const { id, pid } = await runningAgentOnB(db.url, a, b);
    // B's service stops; its agent keeps running (it is adopted by the next start).
    expect(b.run(['service', 'stop']).code).toBe(0);
    b.servicePid = undefined;
    expect(processAlive(pid)).toBe(true);

    const r = a.run(['kill', id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ agent: id, host: 'host-b', signalled: false, pending: true });
    expect(r.stderr).toMatch(new RegExp(`^warning: ${id} was not signalled yet: its host 'host-b' did not act on the kill request within \\d+ s`));
    expect(processAlive(pid)).toBe(true);
    expect((await agent(db.url, id))!.rec.kill_request).toMatchObject({ by: 'host-a', reason: expect.stringMatching(/kill/) });

    startService(b);
    await until(`agent ${id} (PID ${pid}) exits`, async () => !processAlive(pid), 30_000);
    await until('the request is answered', async () => !!(await agent(db.url, id))?.rec.kill_result, 15_000);
    const rec = (await agent(db.url, id))!;
    expect(rec.status).toBe('dead');
    expect(rec.rec.kill_request).toBeUndefined();
  }, 120_000);
});
