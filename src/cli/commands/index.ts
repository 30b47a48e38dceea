/**
 * Every command, one file each, loaded on demand: `wg done` loads done.ts and what it needs,
 * not the other commands (start-up is paid on every agent call). The order is the help order.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commandLoaders: Record<string, () => Promise<{ register: Register }>> = {
  'init': () => import('./init.js'),
  'add': () => import('./add.js'),
  'edit': () => import('./edit.js'),
  'show': () => import('./show.js'),
  'list': () => import('./list.js'),
  'ready': () => import('./ready.js'),
  'status': () => import('./status.js'),
  'claim': () => import('./claim.js'),
  'unclaim': () => import('./unclaim.js'),
  'done': () => import('./done.js'),
  'fail': () => import('./fail.js'),
  'abandon': () => import('./abandon.js'),
  'log': () => import('./log.js'),
  'artifact': () => import('./artifact.js'),
  'add-dep': () => import('./add-dep.js'),
  'rm-dep': () => import('./rm-dep.js'),
  'blocked': () => import('./blocked.js'),
  'why-blocked': () => import('./why-blocked.js'),
  'check': () => import('./check.js'),
  'pause': () => import('./pause.js'),
  'resume': () => import('./resume.js'),
  'heartbeat': () => import('./heartbeat.js'),
  'service': () => import('./service.js'),
  'agents': () => import('./agents.js'),
  'agent-guide': () => import('./agent-guide.js'),
  'retry': () => import('./retry.js'),
  'reset': () => import('./reset.js'),
  'requeue': () => import('./requeue.js'),
  'recover': () => import('./recover.js'),
  'sweep': () => import('./sweep.js'),
  'reap': () => import('./reap.js'),
  'kill': () => import('./kill.js'),
  'quickstart': () => import('./quickstart.js'),
  'demo': () => import('./demo.js'),
};
