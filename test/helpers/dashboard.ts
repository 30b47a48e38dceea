/** Starting `wg serve` for a test: the URL it prints, and a stop that never leaves it running. */
import { request } from 'node:http';
import { processRunning, safeKill, waitFor } from './proc.js';
import { wgSpawn, type WgSpawned } from './wg.js';

export interface Served {
  proc: WgSpawned;
  url: string;
  base: string;
  token: string;
  stop(): Promise<void>;
}

export async function startServe(dir: string, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<Served> {
  const proc = wgSpawn(dir, ['serve', '--port', '0', '--json', ...args], env);
  let out = '';
  proc.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    if (!processRunning(proc.pid)) return;
    proc.child.kill('SIGTERM');
    const gone = await Promise.race([proc.result.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
    if (!gone && processRunning(proc.pid)) safeKill(proc.pid);
  };
  try {
    const url = await waitFor('wg serve to print its URL', () => /"url": "([^"]+)"/.exec(out)?.[1], 20_000, 25, () => `stdout: ${out}`);
    const u = new URL(url);
    return { proc, url, base: `${u.protocol}//${u.host}`, token: u.searchParams.get('token')!, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A raw HTTP request (no cookies, no redirects followed). */
export function httpRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
