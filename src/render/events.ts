/** One human line per stream event (`wg watch` without --json; the dashboards' activity feed). */
import type { WgEvent } from '../core/events.js';

const clip = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const q = (v: unknown): string => JSON.stringify(clip(String(v)));

function summary(e: WgEvent): string {
  const d = e.detail;
  const by = e.actor ? ` (by ${e.actor})` : '';
  switch (e.kind) {
    case 'task.created':
      return `${d.title !== undefined ? q(d.title) : ''}${by}`;
    case 'task.message':
      return `${d.message !== undefined ? q(d.message) : 'log entry'}${by}`;
    case 'task.changed': {
      const extra = e.name === 'fail' && d.reason ? ` ${q(d.reason)}` : e.name === 'claim' || e.name === 'spawn' ? ` claim: ${String(d.agent ?? d.actor ?? e.actor ?? '?')}${d.epoch !== undefined ? ` epoch ${String(d.epoch)}` : ''}` : e.name === 'edit' && Array.isArray(d.fields) ? ` ${d.fields.join(', ')}` : '';
      return `${e.name}${e.status ? ` → ${e.status}` : ''}${extra}${e.name === 'claim' || e.name === 'spawn' ? '' : by}`;
    }
    case 'claim.reclaimed':
      return `${String(d.agent ?? '?')}: ${String(d.reason ?? '')}${d.failed ? ' → failed' : ' → open'}`;
    case 'agent.spawned':
      return `${e.agent} pid ${String(d.pid)} (${String(d.executor)})`;
    case 'agent.exited':
      return `${e.agent} ${d.signal ? `signal ${String(d.signal)}` : `exit ${String(d.code)}`}${d.action && d.action !== 'none' ? ` → ${String(d.action)}` : ''}${d.killedBy ? ` (killed: ${String(d.killedBy)})` : ''}`;
    case 'agent.killed':
    case 'agent.dead':
    case 'agent.hung':
      return `${e.agent ?? ''} ${String(d.reason ?? '')}`.trim();
    case 'agent.adopted':
      return `${e.agent} pid ${String(d.pid)}`;
    case 'spawn.failed':
      return `${String(d.agent ?? '')} ${q(d.error ?? '')}`.trim();
    case 'service.started':
      return `pid ${String(d.pid)}, max ${String(d.max_agents)} agents, ${String(d.executor)}${d.paused ? ', paused' : ''}`;
    case 'service.stopped':
      return d.kill_agents ? 'agents killed' : '';
    case 'service.error':
      return q(d.error ?? '');
    default:
      return `${e.name}${by}`;
  }
}

/** `08:00:03.120  task.changed     build-api  done → done (by alice)` (UTC time of the event). */
export function eventLine(e: WgEvent): string {
  const time = /T(\d\d:\d\d:\d\d(?:\.\d{3})?)/.exec(e.ts)?.[1] ?? e.ts;
  return `${time.padEnd(12)}  ${e.kind.padEnd(15)}  ${(e.task ?? '-').padEnd(12)}  ${summary(e)}`.trimEnd();
}
