/**
 * A program in a real pseudo-terminal, for terminal UIs (`wg tui`): util-linux `script` allocates
 * the PTY (no native module needed), keys go in through its stdin, the screen comes out of its
 * stdout. `screen()` is the last frame as plain text: ink redraws by erasing the previous frame's
 * lines, so the text after the last erase is what the terminal shows. The process group is
 * killed by `stop()` (call it in finally/afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { groupMembers, safeKill, waitFor } from './proc.js';
import { cleanEnv } from './wg.js';

export interface Pty {
  child: ChildProcess;
  pid: number;
  /** Everything written so far (raw, with escape sequences). */
  raw(): string;
  /** The current frame, escape sequences removed. */
  screen(): string;
  keys(s: string): void;
  /** Waits until the current frame matches. */
  waitScreen(what: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Sends keys, then waits for the frame that shows `what`; returns that frame. */
  press(keys: string, what: string | RegExp): Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>78]/g;
/** ink's frame boundary: it erases the previous frame line by line (ESC[2K, ESC[1A…) or clears the screen. */
const ERASE = /(?:\x1b\[2K\x1b\[1A)+\x1b\[2K\x1b\[G|\x1b\[2J\x1b\[3J\x1b\[H|\x1bc/g;

export function lastFrame(raw: string): string {
  let last = 0;
  for (const m of raw.matchAll(ERASE)) last = m.index! + m[0].length;
  return raw.slice(last).replace(ANSI, '').replace(/\r/g, '');
}

export function spawnPty(cwd: string, command: string, opts: { rows?: number; cols?: number; env?: Record<string, string | undefined> } = {}): Pty {
  const rows = opts.rows ?? 40;
  const cols = opts.cols ?? 140;
  const child = spawn('script', ['-qfec', `stty rows ${rows} cols ${cols}; exec ${command}`, '/dev/null'], {
    cwd,
    env: cleanEnv({ TERM: 'xterm-256color', FORCE_COLOR: '1', ...opts.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error('could not start script(1)');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const pid = child.pid;
  const self: Pty = {
    child,
    pid,
    raw: () => out,
    screen: () => lastFrame(out),
    keys(s: string) {
      child.stdin!.write(s);
    },
    async waitScreen(what, timeoutMs = 30_000) {
      const ok = (s: string): boolean => (typeof what === 'string' ? s.includes(what) : what.test(s));
      return waitFor(`the terminal to show ${String(what)}`, () => (ok(self.screen()) ? self.screen() : undefined), timeoutMs, 20, () => `screen:\n${self.screen()}\nraw tail: ${JSON.stringify(out.slice(-400))}`);
    },
    press(keys, what) {
      self.keys(keys);
      return self.waitScreen(what);
    },
    exited,
    async stop() {
      if (groupMembers(pid).length) safeKill(-pid, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
      if (!gone && groupMembers(pid).length) safeKill(-pid);
    },
  };
  return self;
}
