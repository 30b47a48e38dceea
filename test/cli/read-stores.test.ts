/**
 * The read commands print the same thing on both stores: the same seeded graph, the same
 * command, the same stdout. These commands read rows (readiness, structure) and, where they print
 * a task's bulky fields (log, artifacts, whole JSON objects), the whole task — which the
 * PostgreSQL store must fetch, not assume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seedTask } from '../helpers/files.js';
import { storeProject, type StoreProject } from '../helpers/stores.js';

describe('read commands on both stores', () => {
  const projects: StoreProject[] = [];
  afterEach(async () => {
    for (const p of projects.splice(0)) await p.cleanup();
  });

  it('list --json, log, artifact, blocked, why-blocked, ready, show print the same on JSONL and PostgreSQL', async () => {
    const seed = [
      seedTask('base', { status: 'in-progress', assigned: 'agent-1', claim_epoch: 1, artifacts: ['out/a.txt'], custom: { kept: 1 } }),
      seedTask('next', { after: ['base'], description: 'waits for base' }),
      seedTask('free', { priority: 5 }),
    ];
    const jsonl = await storeProject('jsonl');
    projects.push(jsonl);
    const pg = await storeProject('postgres');
    projects.push(pg);
    for (const p of [jsonl, pg]) await p.seed(seed);
    const commands = [
      ['list', '--json'],
      ['log', 'base', '--json'],
      ['artifact', 'base'],
      ['blocked', 'next', '--json'],
      ['why-blocked', 'next', '--json'],
      ['ready', '--json'],
      ['show', 'base', '--json'],
    ];
    for (const args of commands) {
      const a = jsonl.run(args);
      const b = pg.run(args);
      expect(a.code, `jsonl: wg ${args.join(' ')}: ${a.stderr}`).toBe(0);
      expect(b.code, `postgres: wg ${args.join(' ')}: ${b.stderr}${b.stdout}`).toBe(0);
      expect(b.stdout, `wg ${args.join(' ')}`).toBe(a.stdout);
    }
    const listed = JSON.parse(pg.run(['list', '--json']).stdout) as Array<{ id: string; log?: unknown[]; custom?: unknown }>;
    expect(listed.find((t) => t.id === 'base')).toMatchObject({ custom: { kept: 1 }, log: [{ message: 'Task added' }] });
  }, 120_000);
});
