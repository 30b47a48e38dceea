/** The service's view of the registry (src/store/registry.ts RegistryView): read only when the file changed. */
import { afterEach, describe, expect, it } from 'vitest';
import { pathsFor } from '../../src/store/paths.js';
import { RegistryView, updateRegistry } from '../../src/store/registry.js';
import { project as tempProject } from '../helpers/project.js';

describe('RegistryView', () => {
  let p: ReturnType<typeof tempProject> | undefined;
  afterEach(() => p?.cleanup());

  it('re-reads only when the registry file changed (same object otherwise), and sees every change', async () => {
    p = tempProject();
    const paths = pathsFor(p.wgDir);
    const view = new RegistryView(paths);
    const empty = view.get();
    expect(empty.agents).toEqual({});
    expect(view.get()).toBe(empty);
    await updateRegistry(paths, (r) => {
      r.agents['agent-1'] = { id: 'agent-1', task_id: 't', started_at: '2026-01-01T00:00:00Z', status: 'working' };
    });
    const one = view.get();
    expect(one).not.toBe(empty);
    expect(Object.keys(one.agents)).toEqual(['agent-1']);
    expect(view.get()).toBe(one);
    // A heartbeat-sized change (same size, rewritten by rename) is seen too.
    await updateRegistry(paths, (r) => {
      r.agents['agent-1']!.last_heartbeat = '2026-01-01T00:00:01Z';
    });
    await updateRegistry(paths, (r) => {
      r.agents['agent-1']!.last_heartbeat = '2026-01-01T00:00:02Z';
    });
    expect(view.get().agents['agent-1']!.last_heartbeat).toBe('2026-01-01T00:00:02Z');
  });
});
