/**
 * Human output escapes control characters from user data (issue 14, point 6): a title holding
 * `ESC ] 0 ; … BEL` would retitle the terminal, `ESC [ 2 J` clear it. Every human view shows
 * them as visible escapes (`\x1b`); a description keeps its newlines and tabs; `--json` stays
 * exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeControls, guardHuman, oneLine, textLine } from '../../src/render/escape.js';
import { writeRegistry } from '../helpers/files.js';
import { project, type Project } from '../helpers/project.js';

const ESC_TITLE = 'Title \u001b]0;pwned\u0007 and \u001b[2J cleared\rover\u009b1m';
const ESC_ID = 'evil\u001b[31m';
const DESCRIPTION = 'first line\n\tindented \u001b[5mblink\u001b[0m\nthird';

/** Any control character but a newline (and, where allowed, a tab). */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const projects: Project[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup();
});

function seeded(): Project {
  const p = project();
  projects.push(p);
  p.seed([
    { id: 'plain', title: ESC_TITLE, description: DESCRIPTION, tags: ['t\u001b[1m'], log: [{ timestamp: '2026-03-20T10:00:00.000Z', actor: 'ali\u001bce', message: 'did \u001b[2J things\nand more' }], artifacts: ['out\u0007.txt'] },
    { id: ESC_ID, title: `Second ${ESC_TITLE}`, status: 'in-progress', assigned: 'agent-1', claim_epoch: 1, after: ['plain'] },
    { id: 'blocked-one', title: 'Waits', after: [ESC_ID] },
    // `wg check` names a dangling dependency, `wg service status` an executor that cannot run.
    { id: 'dangling', title: 'Dangles', status: 'done', after: ['gh\u001bost'] },
    { id: 'odd-exec', title: 'Odd', exec_mode: 'run\u001b[2J' },
  ]);
  writeRegistry(p.wgDir, [{ id: 'agent-1', task_id: ESC_ID, executor: 'sh\u001b[2Jell', pid: 999_999, started_at: '2026-03-20T10:00:00Z' }]);
  return p;
}

describe('human output escapes control characters from user data', () => {
  it.each([
    ['list', ['list', '--all']],
    ['show', ['show', 'plain']],
    ['show (the id with escapes)', ['show', ESC_ID]],
    ['ready', ['ready']],
    ['status', ['status']],
    ['why-blocked', ['why-blocked', 'blocked-one']],
    ['blocked', ['blocked', 'blocked-one']],
    ['agents', ['agents', '--all']],
    ['log', ['log', 'plain']],
    ['artifact', ['artifact', 'plain']],
    ['viz', ['viz', '--all']],
    ['check', ['check']],
    ['service status', ['service', 'status']],
    ['retry --dry-run', ['retry', ESC_ID, '--dry-run']],
    ['an error naming the id', ['done', ESC_ID.slice(0, -1)]],
  ])('%s', (_name, args) => {
    const p = seeded();
    const r = p.run(args);
    const lines = `${r.stdout}${r.stderr}`.split('\n');
    const descriptionLine = (l: string): boolean => args[0] === 'show' && l.startsWith('  ') && /indented/.test(l);
    for (const l of lines) expect(descriptionLine(l) ? l.replace(/\t/g, '') : l, `raw control character in: ${JSON.stringify(l)}`).not.toMatch(RAW);
    expect(`${r.stdout}${r.stderr}`).toMatch(/\\x1b|\\x07|\\r/);
  });

  it('show keeps the description’s newlines and tabs; the title’s newline-free escapes are visible', () => {
    const p = seeded();
    const out = p.run(['show', 'plain']).stdout;
    expect(out).toContain('Title \\x1b]0;pwned\\x07 and \\x1b[2J cleared\\rover\\x9b1m');
    expect(out).toContain('  first line\n  \tindented \\x1b[5mblink\\x1b[0m\n  third');
    // A log message is one line: its newline is escaped.
    expect(out).toContain('[ali\\x1bce] did \\x1b[2J things\\nand more');
  });

  it('--json stays exact', () => {
    const p = seeded();
    const shown = p.run(['--json', 'show', 'plain']).json<{ title: string; description: string }>();
    expect(shown.title).toBe(ESC_TITLE);
    expect(shown.description).toBe(DESCRIPTION);
    const listed = p.run(['--json', 'list', '--all']).json<Array<{ id: string }>>();
    expect(listed.map((t) => t.id)).toContain(ESC_ID);
    const err = p.run(['--json', 'done', 'nope\u001b']).json<{ error: { message: string } }>();
    expect(err.error.message).toContain('nope\u001b');
  });
});

describe('the escaping rules', () => {
  it('oneLine escapes every control character, newline and tab too; textLine keeps tabs', () => {
    expect(oneLine('a\u001b[2Jb\nc\td\re\u0000f\u007fg\u0085h')).toBe('a\\x1b[2Jb\\nc\\td\\re\\x00f\\x7fg\\x85h');
    expect(textLine('a\tb\u001b')).toBe('a\tb\\x1b');
    expect(escapeControls('plain text, ünïcödé, 😀')).toBe('plain text, ünïcödé, 😀');
  });

  it('guardHuman: lines escape embedded newlines, a text keeps them; painted output keeps only SGR colours', () => {
    expect(guardHuman(['one\ntwo', 'three'])).toBe('one\\ntwo\nthree');
    expect(guardHuman('one\ntwo\tx\u001b]0;t\u0007')).toBe('one\ntwo\tx\\x1b]0;t\\x07');
    expect(guardHuman(['\u001b[1mbold\u001b[0m \u001b]0;t\u0007'], { painted: true })).toBe('\u001b[1mbold\u001b[0m \\x1b]0;t\\x07');
  });
});
