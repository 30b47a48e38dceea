/**
 * `wg tui` for a test: the built `wg` in a pseudo-terminal (pty.ts) at the size the tests read
 * frames at, and the step chains the tests repeat: a question asked and cancelled with nothing
 * written, and `q` quitting cleanly.
 */
import { expect } from 'vitest';
import type { Project } from './project.js';
import { spawnPty, type Pty } from './pty.js';
import { WG_BIN } from './wg.js';

/** `wg tui [args]` in the project, 40×150. Stop it in afterEach (`stop()`). */
export function startTui(q: Project, args = '', env: Record<string, string> = {}): Pty {
  return spawnPty(q.dir, `${process.execPath} ${WG_BIN} tui ${args}`, { rows: 40, cols: 150, env });
}

/**
 * A question answered "no": each [keys, shows] step in turn (the key that asks, what is typed),
 * then `cancel`; the frame says 'cancelled' and graph.jsonl is byte for byte what it was.
 */
export async function expectCancelled(tty: Pty, q: Project, steps: Array<[keys: string, shows: string | RegExp]>, cancel: string): Promise<void> {
  const before = q.readGraph();
  for (const [keys, shows] of steps) await tty.press(keys, shows);
  await tty.press(cancel, 'cancelled');
  expect(q.readGraph()).toBe(before);
}

/** `q` quits: the terminal UI exits 0. */
export async function expectQuits(tty: Pty): Promise<void> {
  tty.keys('q');
  expect(await tty.exited).toBe(0);
}
