/**
 * A strict JSON reader that keeps what `JSON.parse` throws away and the Rust tool's reader
 * (serde_json) cares about: every key of an object in order, duplicates included; whether a
 * number was written as an integer; and the cases serde_json refuses where `JSON.parse` does
 * not (a lone UTF-16 surrogate escape, nesting of 128 levels or more, a number out of the f64
 * range). Written for the loadability checker (rust-rules.ts); see docs/rust-compat.md.
 */

export type JValue =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string; /** written without fraction or exponent */ int: boolean; big: bigint | undefined; v: number }
  | { t: 'str'; v: string }
  | { t: 'arr'; items: JValue[] }
  | { t: 'obj'; entries: Array<[string, JValue]> }
  /** A TOML datetime (only from the TOML side of the checker; JSON has none). */
  | { t: 'datetime'; v: string };

export class JsonSyntaxError extends Error {}

/** serde_json's default recursion limit: the 128th nested array/object is refused. */
const MAX_DEPTH = 127;

export function parseStrictJson(text: string): JValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at column ${i + 1}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('EOF while parsing a string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character (\\u0000-\\u001F) found while parsing a string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // A raw (unescaped) surrogate: valid only as a pair (one non-BMP character).
        const d = text.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          out += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        fail('invalid unicode code point');
      }
      if (c !== 0x5c) {
        out += text[i];
        i++;
        continue;
      }
      i++;
      const e = text[i];
      i++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const n = hex4();
          if (n >= 0xdc00 && n <= 0xdfff) fail('lone leading surrogate in hex escape');
          if (n >= 0xd800 && n <= 0xdbff) {
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone leading surrogate in hex escape');
            i += 2;
            const m = hex4();
            if (m < 0xdc00 || m > 0xdfff) fail('lone leading surrogate in hex escape');
            out += String.fromCharCode(n, m);
          } else out += String.fromCharCode(n);
          break;
        }
        default:
          fail('invalid escape');
      }
    }
  };
  const num = (): JValue => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === '-') fail('invalid number');
    const raw = m![0];
    i += raw.length;
    const v = Number(raw);
    if (!Number.isFinite(v)) fail('number out of range');
    // Integer syntax is an integer only within u64 (or i64 when negative); beyond, a float.
    const big = m![2] === undefined && m![3] === undefined ? BigInt(raw) : undefined;
    const isInt = big !== undefined && big <= 18446744073709551615n && big >= -9223372036854775808n;
    return { t: 'num', raw, int: isInt, big: isInt ? big : undefined, v };
  };
  const value = (depth: number): JValue => {
    ws();
    if (i >= text.length) fail('EOF while parsing a value');
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH) fail('recursion limit exceeded');
      i++;
      ws();
      if (c === '[') {
        const items: JValue[] = [];
        if (text[i] === ']') {
          i++;
          return { t: 'arr', items };
        }
        for (;;) {
          items.push(value(depth + 1));
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            return { t: 'arr', items };
          }
          fail("expected ',' or ']'");
        }
      }
      const entries: Array<[string, JValue]> = [];
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('key must be a string');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        entries.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { t: 'obj', entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    if (c === '-' || (c! >= '0' && c! <= '9')) return num();
    for (const [word, v] of [['true', { t: 'bool', v: true }], ['false', { t: 'bool', v: false }], ['null', { t: 'null' }]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail('expected value');
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('trailing characters');
  return v;
}

/** The last value of `key` (serde_json::Value semantics: a repeated key keeps the last one). */
export function lastEntry(obj: Extract<JValue, { t: 'obj' }>, key: string): JValue | undefined {
  let found: JValue | undefined;
  for (const [k, v] of obj.entries) if (k === key) found = v;
  return found;
}
