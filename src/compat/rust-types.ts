/**
 * How the Rust tool's typed reader (serde, derived `Deserialize`) judges a value, as rules:
 * a struct ignores unknown keys but refuses a key it knows twice (an alias counts as its field:
 * `blocked_by` beside `after` is "duplicate field `after`"), a missing field without a default,
 * and any value of the wrong JSON type; `null` is accepted only by `Option` fields; an integer
 * field refuses a fraction, a negative number or one out of its range; an enum refuses any
 * spelling it does not list. Written from reading its source (docs/rust-compat.md), no code
 * copied. Used by rust-rules.ts (graph, registry) and rust-config-rules.ts (config.toml).
 */
import type { JValue } from './rust-json.js';

export type RType =
  | { k: 'string' }
  | { k: 'bool' }
  | { k: 'uint'; name: 'u8' | 'u16' | 'u32' | 'u64' | 'usize' }
  | { k: 'f64' }
  | { k: 'option'; of: RType }
  | { k: 'vec'; of: RType }
  | { k: 'map'; of: RType }
  | { k: 'struct'; name: string; fields: Record<string, Field> }
  | { k: 'enum'; name: string; values: readonly string[]; /** accepted too, read as another value */ legacy?: readonly string[] }
  /** A hand-written deserializer: returns the error, or undefined when the value is accepted. */
  | { k: 'custom'; name: string; check: (v: JValue, path: string) => string | undefined }
  | { k: 'any' };

export interface Field {
  type: RType;
  /** `#[serde(default)]` (or an `Option`): the field may be missing. */
  optional?: boolean;
  aliases?: readonly string[];
}

const MAX: Record<string, bigint> = { u8: 255n, u16: 65535n, u32: 4294967295n, u64: 18446744073709551615n, usize: 18446744073709551615n };

export const T = {
  string: { k: 'string' } as RType,
  bool: { k: 'bool' } as RType,
  u8: { k: 'uint', name: 'u8' } as RType,
  u16: { k: 'uint', name: 'u16' } as RType,
  u32: { k: 'uint', name: 'u32' } as RType,
  u64: { k: 'uint', name: 'u64' } as RType,
  usize: { k: 'uint', name: 'usize' } as RType,
  f64: { k: 'f64' } as RType,
  any: { k: 'any' } as RType,
  option: (of: RType): RType => ({ k: 'option', of }),
  vec: (of: RType): RType => ({ k: 'vec', of }),
  map: (of: RType): RType => ({ k: 'map', of }),
  enumOf: (name: string, values: readonly string[], legacy?: readonly string[]): RType => ({ k: 'enum', name, values, ...(legacy ? { legacy } : {}) }),
  struct: (name: string, fields: Record<string, Field>): RType => ({ k: 'struct', name, fields }),
};

/** Field shorthands: `req` (no default), `opt` (`#[serde(default)]`, or an `Option`). */
export const req = (type: RType, aliases?: readonly string[]): Field => ({ type, ...(aliases ? { aliases } : {}) });
export const opt = (type: RType, aliases?: readonly string[]): Field => ({ type, optional: true, ...(aliases ? { aliases } : {}) });
/** `Option<T>`: may be missing or null. */
export const nullable = (type: RType): Field => ({ type: T.option(type), optional: true });

export function describe(v: JValue): string {
  switch (v.t) {
    case 'null':
      return 'null';
    case 'bool':
      return `boolean \`${v.v}\``;
    case 'num':
      return v.int ? `integer \`${v.raw}\`` : `floating point \`${v.raw}\``;
    case 'str':
      return `string ${JSON.stringify(v.v)}`;
    case 'arr':
      return 'sequence';
    case 'obj':
      return 'map';
    case 'datetime':
      return `datetime ${v.v}`;
  }
}

function expected(t: RType): string {
  switch (t.k) {
    case 'string':
      return 'a string';
    case 'bool':
      return 'a boolean';
    case 'uint':
      return t.name;
    case 'f64':
      return 'f64';
    case 'option':
      return expected(t.of);
    case 'vec':
      return 'a sequence';
    case 'map':
    case 'struct':
      return t.k === 'struct' ? `struct ${t.name}` : 'a map';
    case 'enum':
      return `enum ${t.name}`;
    case 'custom':
      return t.name;
    case 'any':
      return 'any value';
  }
}

const at = (path: string, msg: string): string => (path ? `${path}: ${msg}` : msg);

/** Every reason the Rust tool would refuse `v` as a `t` (empty when it accepts it). */
export function check(t: RType, v: JValue, path: string): string[] {
  const wrong = (): string[] => [at(path, `invalid type: ${describe(v)}, expected ${expected(t)}`)];
  switch (t.k) {
    case 'any':
      return [];
    case 'option':
      return v.t === 'null' ? [] : check(t.of, v, path);
    case 'string':
      return v.t === 'str' ? [] : wrong();
    case 'bool':
      return v.t === 'bool' ? [] : wrong();
    case 'f64':
      return v.t === 'num' ? [] : wrong();
    case 'uint': {
      if (v.t !== 'num' || !v.int) return wrong();
      if (v.big! < 0n || v.big! > MAX[t.name]!) return [at(path, `invalid value: ${describe(v)}, expected ${t.name}`)];
      return [];
    }
    case 'enum': {
      if (v.t !== 'str') return wrong();
      if (t.values.includes(v.v) || t.legacy?.includes(v.v)) return [];
      return [at(path, `unknown variant \`${v.v}\`, expected one of ${t.values.map((s) => `\`${s}\``).join(', ')}`)];
    }
    case 'custom': {
      const e = t.check(v, path);
      return e ? [at(path, e)] : [];
    }
    case 'vec': {
      if (v.t !== 'arr') return wrong();
      return v.items.flatMap((item, i) => check(t.of, item, `${path}[${i}]`));
    }
    case 'map': {
      if (v.t !== 'obj') return wrong();
      // A HashMap/BTreeMap keeps the last of a repeated key: no error (unlike a struct field).
      return v.entries.flatMap(([k, item]) => check(t.of, item, path ? `${path}.${k}` : k));
    }
    case 'struct':
      return checkStruct(t, v, path);
  }
}

function checkStruct(t: Extract<RType, { k: 'struct' }>, v: JValue, path: string): string[] {
  if (v.t !== 'obj') return [at(path, `invalid type: ${describe(v)}, expected struct ${t.name}`)];
  const byName = new Map<string, string>();
  for (const [name, f] of Object.entries(t.fields)) {
    byName.set(name, name);
    for (const a of f.aliases ?? []) byName.set(a, name);
  }
  const errs: string[] = [];
  const seen = new Set<string>();
  for (const [k, item] of v.entries) {
    const field = byName.get(k);
    if (field === undefined) continue; // unknown keys are ignored (no deny_unknown_fields)
    if (seen.has(field)) {
      errs.push(at(path, `duplicate field \`${field}\``));
      continue;
    }
    seen.add(field);
    errs.push(...check(t.fields[field]!.type, item, path ? `${path}.${k}` : k));
  }
  for (const [name, f] of Object.entries(t.fields)) {
    if (!seen.has(name) && !f.optional && f.type.k !== 'option') errs.push(at(path, `missing field \`${name}\``));
  }
  return errs;
}
