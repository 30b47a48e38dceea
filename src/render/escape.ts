/**
 * Control characters in human output (issue 14): a task title, id, log message or agent field
 * comes from a file anyone may edit, and `\x1b]0;…\x07` in a title would retitle the terminal,
 * `\x1b[2J` clear it, `\r` overwrite a line. Human output shows them as visible escapes
 * (`\x1b`, `\n`, `\t`); `--json` output stays exact.
 */

// C0 controls, DEL and the C1 controls (U+0080–U+009F: 8-bit CSI/OSC for some terminals).
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const visible = (c: string): string => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Every control character of `s` as a visible escape, except the characters in `keep`. */
export function escapeControls(s: string, keep = ''): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(s)) return s;
  return s.replace(CONTROLS, (c) => (keep.includes(c) ? c : visible(c)));
}

/** A one-line field (id, title, tag, actor, log message, reason): every control escaped, newline and tab too. */
export const oneLine = (s: string): string => escapeControls(s);

/** A line of a multi-line text (a description): tabs kept, every other control escaped. */
export const textLine = (s: string): string => escapeControls(s, '\t');

// Our own colours (viz on a terminal): SGR sequences only, `ESC [ digits;… m`.
const SGR = /\x1b\[[0-9;]*m/g;

/**
 * The last guard before a terminal, for whatever a renderer did not escape itself: each line of
 * `lines` (an element is one line: a newline inside it is escaped; tabs are kept), or a whole
 * text (`string`: newlines and tabs kept). `painted` keeps SGR colour sequences, for renderers
 * that paint and escape their fields themselves (viz).
 */
export function guardHuman(text: string | string[], opts: { painted?: boolean } = {}): string {
  const esc = (s: string, keep: string): string => {
    if (!opts.painted) return escapeControls(s, keep);
    let out = '';
    let last = 0;
    for (const m of s.matchAll(SGR)) {
      out += escapeControls(s.slice(last, m.index), keep) + m[0];
      last = m.index + m[0].length;
    }
    return out + escapeControls(s.slice(last), keep);
  };
  return Array.isArray(text) ? text.map((l) => esc(l, '\t')).join('\n') : esc(text, '\n\t');
}
