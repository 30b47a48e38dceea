/**
 * The service refuses agents at its socket (issue 14, point 7), not only in the `wg` client: an
 * agent that writes a raw `{"cmd":"pause"}` (no agent_id) to daemon.sock — itself, or a
 * grandchild that left its session and was re-parented, keeping its environment — is refused,
 * and the service stays unpaused and running. The same raw request from a human's process is
 * obeyed. Also the server's peer lookup (peer.ts, `ss`) on a connection of this process.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerPids } from '../../src/service/peer.js';
import { serviceProject, type Project } from '../helpers/project.js';
import { readIf } from '../helpers/files.js';
import { waitFor } from '../helpers/proc.js';

/** A client that writes one raw request line and saves the response line. */
const RAW_CLIENT = `import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
const [sockPath, cmd, out] = process.argv.slice(2);
const s = connect(sockPath);
let buf = '';
s.on('connect', () => s.write(JSON.stringify({ cmd }) + '\\n'));
s.on('data', (d) => { buf += d; if (buf.includes('\\n')) { writeFileSync(out, buf.split('\\n')[0]); s.end(); } });
s.on('error', (e) => writeFileSync(out, JSON.stringify({ client_error: e.message })));
`;

function rawRequest(socketPath: string, cmd: string): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    s.on('connect', () => s.write(JSON.stringify({ cmd }) + '\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        s.end();
        resolve(JSON.parse(buf.split('\n')[0]!) as { ok: boolean; error?: string });
      }
    });
    s.on('error', reject);
  });
}

describe('the service refuses agents at its socket', () => {
  let p: Project | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('raw pause/stop from an agent and from its re-parented grandchild are refused; the same from a human is obeyed', async () => {
    p = serviceProject();
    const client = p.script(p.w('raw.mjs'), `#!${process.execPath}\n${RAW_CLIENT}`);
    const node = process.execPath;
    const agent = p.script(
      p.w('agent.sh'),
      `"${node}" "${client}" "${p.socketPath}" pause "${p.w('r-pause')}"
"${node}" "${client}" "${p.socketPath}" stop "${p.w('r-stop')}"
setsid -f "${node}" "${client}" "${p.socketPath}" pause "${p.w('r-detached')}"
sleep 300
`,
    );
    p.ok(['add', 'Sneaky', '--id', 'sneaky', '--exec', `bash ${agent}`]);
    p.start();
    const a = await p.runningAgent('sneaky');
    const answers = await waitFor('the three answers', () => {
      const r = ['r-pause', 'r-stop', 'r-detached'].map((f) => readIf(p!.w(f)));
      return r.every(Boolean) ? r.map((x) => JSON.parse(x!) as { ok: boolean; error?: string }) : undefined;
    });
    for (const [i, r] of answers.entries()) {
      expect(r.ok, JSON.stringify(r)).toBe(false);
      expect(r.error).toMatch(new RegExp(`^an agent \\(${a.id}, PID \\d+\\) cannot ${i === 1 ? 'stop' : 'pause'} the service$`));
    }
    const st = p.statusJson();
    expect(st.running).toBe(true);
    expect(st.paused).toBe(false);

    // A human's raw request (this test process is no agent's) is obeyed.
    expect(await rawRequest(p.socketPath, 'pause')).toMatchObject({ ok: true });
    expect(p.statusJson().paused).toBe(true);
    expect(await rawRequest(p.socketPath, 'resume')).toMatchObject({ ok: true });
    expect(p.statusJson().paused).toBe(false);
  });
});

describe('peer lookup (ss)', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });

  it('names this process as the peer of its own connection, and a hung-up client as gone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wg-peer-'));
    const path = join(dir, 's.sock');
    const accepted: Socket[] = [];
    server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server!.listen(path, r));
    const c = connect(path);
    await waitFor('accepted', () => accepted.length === 1);
    expect(await peerPids(accepted[0]!)).toEqual({ pids: [process.pid] });
    c.destroy();
    await waitFor('closed', () => accepted[0]!.destroyed || accepted[0]!.readableEnded);
    accepted[0]!.destroy();
    expect(await peerPids(accepted[0]!)).toEqual({ gone: true });
  });
});
