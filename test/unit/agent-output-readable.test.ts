/**
 * render/agent-output.ts on the real captures of the pinned CLIs (test/fixtures/agent-output/):
 * what `wg agents log` and `wg show` print of an agent's JSON stream.
 */
import { describe, expect, it } from 'vitest';
import { lastLines, readableOutput } from '../../src/render/agent-output.js';
import { readFixture } from '../helpers/agent-fixtures.js';

describe('readable agent output', () => {
  it('claude: the session, the commands it ran with their results, the final result with its cost', () => {
    const lines = readableOutput(readFixture('claude', 'success'));
    expect(lines[0]).toMatch(/^session [0-9a-f-]{36} \(claude-sonnet-5-5\)$/);
    expect(lines).toContain('$ wg log $WG_TASK_ID "found the bug in parser.ts"');
    expect(lines).toContain("  Logged to 'fix-the-thing'");
    expect(lines).toContain('$ wg done $WG_TASK_ID');
    expect(lines.at(-1)).toMatch(/^result: success — Done: logged and completed\. \(\$\d+\.\d{4}\)$/);
    expect(lines.every((l) => !l.startsWith('{'))).toBe(true);
  });

  it('claude API error and root refusal: the error is the last line', () => {
    expect(lastLines(readFixture('claude', 'api-529'), 1)[0]).toMatch(/^result: error — API Error: 529 Overloaded/);
    expect(readableOutput(readFixture('claude', 'api-529'))).toContainEqual(expect.stringMatching(/^API error 529 \(overloaded\), retry 1\/1$/));
    expect(lastLines(readFixture('claude', 'root-refusal'), 1)).toEqual(['--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons']);
  });

  it('codex: commands with their output, the agent message, turn failures', () => {
    const ok = readableOutput(readFixture('codex', 'success'));
    expect(ok[0]).toMatch(/^session \S+$/);
    expect(ok).toContainEqual(expect.stringMatching(/^\$ .*wg done \$WG_TASK_ID/));
    expect(ok.at(-1)).toBe('» Done: logged and completed.');
    expect(readableOutput(readFixture('codex', 'api-401')).some((l) => l.startsWith('turn failed: '))).toBe(true);
  });

  it('--raw keeps the lines; -n 0 prints none', () => {
    const text = readFixture('claude', 'silent');
    expect(readableOutput(text, { raw: true })).toEqual(text.split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== ''));
    expect(lastLines(text, 0)).toEqual([]);
  });
});
