import { afterEach, describe, expect, it } from 'vitest';
import { project } from '../helpers/project.js';

describe('wg smoke', () => {
  let p: ReturnType<typeof project> | undefined;
  afterEach(() => p?.cleanup());

  it('adds, claims and completes a task', () => {
    p = project();
    expect(p.run(['add', 'Design the API']).code).toBe(0);
    expect(p.run(['add', 'Build it', '--after', 'design-the-api']).code).toBe(0);
    expect(p.run(['ready', '--json']).json<Array<{ id: string }>>().map((r) => r.id)).toEqual(['design-the-api']);
    expect(p.run(['claim', '--next', '--json']).json<{ claimed: string }>().claimed).toBe('design-the-api');
    expect(p.run(['done', 'design-the-api']).code).toBe(0);
    expect(p.run(['ready', '--json']).json<Array<{ id: string }>>().map((r) => r.id)).toEqual(['build-it']);
  });
});
