/**
 * The strict field reader: pulls typed fields out of untyped objects (YAML, JSON, API objects) and rejects
 * unknown keys. Every error is a FieldError carrying the full field path (`spec.selector.matchLabels`,
 * `plugins[2].parameters.blockSize`); callers add what the object is (a resource, a plugin, a config file).
 * Absent means `undefined` or `null` (YAML `key:` with no value, client objects with unset optional fields).
 */

export class FieldError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'FieldError';
    this.path = path;
  }

  /** "path: message", or the message alone at the root. */
  text(): string {
    return this.path ? `${this.path}: ${this.message}` : this.message;
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
  if (typeof v === 'object') return 'a mapping';
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
  if (!isMap(v)) throw new FieldError(path, `must be a mapping, got ${describe(v)}`);
  return v;
}

export function optMap(v: unknown, path: string): RawMap | undefined {
  return isAbsent(v) ? undefined : asMap(v, path);
}

/**
 * Rejects keys outside `allowed` (strict, like a CRD structural schema or Go's DisallowUnknownFields),
 * whatever their value. `noun` names what a key is in the message ("field", "parameter").
 */
export function onlyFields(obj: RawMap, path: string, allowed: readonly string[], noun = 'field'): void {
  const first = unknownFields(obj, path, allowed, noun)[0];
  if (first) throw first;
}

/** Every key outside `allowed`, as errors, for readers that report all problems at once. */
export function unknownFields(obj: RawMap, path: string, allowed: readonly string[], noun = 'field'): FieldError[] {
  const hint = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'none allowed';
  return Object.keys(obj)
    .filter((key) => !allowed.includes(key))
    .map((key) => new FieldError(child(path, key), `unknown ${noun} (${hint})`));
}

export function asList(v: unknown, path: string, min = 0, max = Infinity): unknown[] {
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
    throw new FieldError(child(path, key), `must be ${numberKind('an integer', min, max)}, got ${describe(v)}`);
  }
  return v;
}

/** A finite number in [min, max], or undefined when absent. */
export function optNumber(obj: RawMap, key: string, path: string, min: number, max = Infinity): number | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new FieldError(child(path, key), `must be ${numberKind('a number', min, max)}, got ${describe(v)}`);
  }
  return v;
}

export function optBool(obj: RawMap, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  if (typeof v !== 'boolean') throw new FieldError(child(path, key), `must be true or false, got ${describe(v)}`);
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

/** An RFC 3339 time (YAML, JSON text) or a Date (client objects) as ms since the epoch; undefined when absent. */
export function optTimestamp(obj: RawMap, key: string, path: string): number | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new FieldError(child(path, key), `must be an RFC 3339 time like 2025-01-31T12:00:00Z, got ${describe(v)}`);
  return ms;
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

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 subdomain (lowercase, digits, '-', '.'), as object names and label-key prefixes are. */
export function isDnsSubdomain(v: string, maxLength = 253): boolean {
  return v.length <= maxLength && DNS_SUBDOMAIN.test(v);
}

/** Object names: an RFC 1123 subdomain, at most `maxLength` characters. */
export function checkName(v: string, path: string, maxLength = 253): void {
  if (!isDnsSubdomain(v, maxLength)) {
    throw new FieldError(path, `must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.') of at most ${maxLength} characters, got ${describe(v)}`);
  }
}

/**
 * Collects FieldErrors instead of stopping at the first, for readers that report every problem at once
 * (the EndpointPickerConfig). `read` returns undefined when the reader threw.
 */
export class FieldProblems {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(path ? `${path}: ${message}` : message);
  }

  read<T>(reader: () => T): T | undefined {
    try {
      return reader();
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.list.push(err.text());
      return undefined;
    }
  }
}

/** "an integer 1-65535", "a non-negative number", "a number >= 0.5". */
function numberKind(kind: string, min: number, max: number): string {
  if (min === 0 && max === Infinity) return kind.replace(/^an? /, 'a non-negative ');
  return `${kind} ${range(min, max)}`;
}

function range(min: number, max: number): string {
  if (max === Infinity || max === Number.MAX_SAFE_INTEGER) return `>= ${min}`;
  if (min === max) return String(min);
  return min < 0 ? `${min} to ${max}` : `${min}-${max}`;
}
