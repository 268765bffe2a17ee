/**
 * Small readers that pull typed fields out of untyped objects. Each one names the field path in the error it
 * throws; `parseObject` turns a FieldError into a ResourceError that also names the object.
 * Absent means `undefined` or `null` (YAML `key:` with no value, client objects with unset optional fields).
 */

export class FieldError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'FieldError';
    this.path = path;
  }
}

export type RawMap = Record<string, unknown>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `spec` + `selector` -> `spec.selector`; keys that are not identifiers are quoted: `labels["app/x"]`. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!IDENT.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** A short rendering of a bad value for "got ..." (strings quoted, containers named, long text cut). */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return `a timestamp (${v.toISOString()})`;
  if (typeof v === 'object') return 'a map';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function isAbsent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

export function isMap(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function asMap(v: unknown, path: string): RawMap {
  if (isAbsent(v)) throw new FieldError(path, 'required');
  if (!isMap(v)) throw new FieldError(path, `must be a map, got ${describe(v)}`);
  return v;
}

export function optMap(v: unknown, path: string): RawMap | undefined {
  return isAbsent(v) ? undefined : asMap(v, path);
}

/** Rejects keys outside `allowed` (strict, like a CRD structural schema). */
export function onlyFields(obj: RawMap, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (isAbsent(obj[key]) || allowed.includes(key)) continue;
    throw new FieldError(child(path, key), `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

export function asList(v: unknown, path: string, min: number, max: number): unknown[] {
  if (isAbsent(v)) {
    if (min > 0) throw new FieldError(path, 'required');
    return [];
  }
  if (!Array.isArray(v)) throw new FieldError(path, `must be a list, got ${describe(v)}`);
  if (v.length < min || v.length > max) {
    throw new FieldError(path, `must have ${range(min, max)} items, got ${v.length}`);
  }
  return v;
}

export function reqString(obj: RawMap, key: string, path: string, maxLength = Infinity): string {
  const v = optString(obj, key, path, maxLength);
  if (v === undefined) throw new FieldError(child(path, key), 'required');
  return v;
}

/** A string of minLength..maxLength characters, or undefined when absent. */
export function optString(obj: RawMap, key: string, path: string, maxLength = Infinity, minLength = 1): string | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  const p = child(path, key);
  if (typeof v !== 'string') throw new FieldError(p, `must be a string, got ${describe(v)}`);
  if (v.length < minLength) throw new FieldError(p, 'must not be empty');
  if (v.length > maxLength) throw new FieldError(p, `must be at most ${maxLength} characters, got ${v.length}`);
  return v;
}

export function reqInt(obj: RawMap, key: string, path: string, min: number, max: number): number {
  const v = optInt(obj, key, path, min, max);
  if (v === undefined) throw new FieldError(child(path, key), 'required');
  return v;
}

export function optInt(obj: RawMap, key: string, path: string, min: number, max: number): number | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FieldError(child(path, key), `must be an integer ${range(min, max)}, got ${describe(v)}`);
  }
  return v;
}

export function optEnum<T extends string>(obj: RawMap, key: string, path: string, values: readonly T[]): T | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new FieldError(child(path, key), `must be one of ${values.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** A map of string to string (labels, annotations, selectors), with `min..max` entries. */
export function stringMap(v: unknown, path: string, min = 0, max = Infinity): Record<string, string> {
  if (isAbsent(v) && min === 0) return {};
  const m = asMap(v, path);
  const keys = Object.keys(m);
  if (keys.length < min || keys.length > max) {
    throw new FieldError(path, `must have ${range(min, max)} entries, got ${keys.length}`);
  }
  const out: Record<string, string> = {};
  for (const k of keys) {
    const value = m[k];
    // YAML reads `version: 1` or `enabled: true` as a number or boolean; Kubernetes wants strings.
    if (typeof value !== 'string') {
      throw new FieldError(child(path, k), `must be a string, got ${describe(value)} (quote it)`);
    }
    out[k] = value;
  }
  return out;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key and value syntax (selectors only: pods from a cluster are already valid). */
export function checkLabels(labels: Readonly<Record<string, string>>, path: string): void {
  for (const [k, v] of Object.entries(labels)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    const keyOk =
      name.length <= 63 && LABEL_NAME.test(name) && (slash < 0 || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
    if (!keyOk) throw new FieldError(child(path, k), 'must be a valid label key ([prefix/]name, name of 63 characters of [A-Za-z0-9-_.])');
    if (v !== '' && (v.length > 63 || !LABEL_NAME.test(v))) {
      throw new FieldError(child(path, k), `must be a valid label value (63 characters of [A-Za-z0-9-_.]), got ${describe(v)}`);
    }
  }
}

/** Object names: an RFC 1123 subdomain (lowercase, digits, '-', '.'), at most 253 characters. */
export function checkName(v: string, path: string, maxLength = 253): void {
  if (v.length > maxLength || !DNS_SUBDOMAIN.test(v)) {
    throw new FieldError(path, `must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.') of at most ${maxLength} characters, got ${describe(v)}`);
  }
}

function range(min: number, max: number): string {
  if (max === Infinity) return `>= ${min}`;
  if (min === max) return String(min);
  return min < 0 ? `${min} to ${max}` : `${min}-${max}`;
}
