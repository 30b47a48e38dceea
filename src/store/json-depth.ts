/**
 * A nesting limit for the JSON files wg reads (issue 14): a line of graph.jsonl nested ten
 * thousand levels deep parses, then overflows the stack of whatever walks it next
 * (JSON.stringify on the next write, `--json` output). 128 levels is far beyond any real
 * record (a task nests 3) and is the limit of serde_json, so the Rust tool cannot read such a
 * line either.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Is `text` (JSON) nested deeper than `limit` arrays/objects? Cheap for ordinary records: a
 * text with at most `limit` opening brackets cannot be, and only the rare longer one is
 * scanned (brackets inside strings skipped).
 */
export function nestedTooDeeply(text: string, limit = MAX_JSON_DEPTH): boolean {
  let opens = 0;
  for (let i = text.indexOf('['); i !== -1 && opens <= limit; i = text.indexOf('[', i + 1)) opens++;
  for (let i = text.indexOf('{'); i !== -1 && opens <= limit; i = text.indexOf('{', i + 1)) opens++;
  if (opens <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: skip to its closing quote, over escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
