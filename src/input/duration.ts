/**
 * The one duration parser: Go `time.ParseDuration` syntax, as upstream flags (`flag.Duration`) and config fields
 * (`metav1.Duration`) accept it: a signed sequence of decimal numbers with units, e.g. "50ms", "1.5s", "2m30s",
 * "1h", "300us", "300µs", "10ns", "-1.5h"; "0" alone needs no unit. Results are milliseconds (fractions kept).
 */
import { child, describe, FieldError, isAbsent, type RawMap } from './fields.ts';

export interface DurationOptions {
  /** Also accept a bare number as milliseconds ("250"); our flags always have. Go does not. */
  bareNumberMs?: boolean;
  /** Accept a leading "-" (Go does); off by default, since no field here means anything by a negative span. */
  allowNegative?: boolean;
}

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const MAX_NS = (1n << 63n) - 1n;
const EXAMPLES = 'a duration such as "50ms", "1.5s" or "2m30s"';
const BARE_NUMBER = /^\d+(\.\d+)?$/;

/** Parses `text` for the field `path` (a flag, `parameters.x`, ...); throws FieldError naming it. */
export function parseDuration(text: string, path: string, options: DurationOptions = {}): number {
  if (options.bareNumberMs && BARE_NUMBER.test(text)) return Number(text);
  const ns = goDurationNs(text);
  if (typeof ns === 'string') {
    const also = options.bareNumberMs ? ' or a number of milliseconds' : '';
    throw new FieldError(path, `must be ${EXAMPLES}${also}, got ${describe(text)} (${ns})`);
  }
  if (ns < 0n && !options.allowNegative) throw new FieldError(path, `must not be negative, got ${describe(text)}`);
  return Number(ns) / 1e6;
}

/**
 * An optional duration field of a mapping: a Go duration string, or (with `numbersAreMs`) a non-negative
 * number of milliseconds, as YAML writes `prefillDecay: 250`.
 */
export function optDuration(obj: RawMap, key: string, path: string, options: DurationOptions & { numbersAreMs?: boolean } = {}): number | undefined {
  const v = obj[key];
  if (isAbsent(v)) return undefined;
  const p = child(path, key);
  if (options.numbersAreMs && typeof v === 'number' && Number.isFinite(v)) {
    if (v < 0 && !options.allowNegative) throw new FieldError(p, `must not be negative, got ${v}`);
    return v;
  }
  if (typeof v !== 'string') throw new FieldError(p, `must be ${EXAMPLES}, got ${describe(v)}`);
  return parseDuration(v, p, options);
}

/** Go's algorithm: integer nanoseconds, fraction digits truncated. Returns the reason on failure. */
function goDurationNs(orig: string): bigint | string {
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return 'empty';
  let total = 0n;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const whole = num[1]!;
    const frac = num[2] ?? '';
    if (whole === '' && frac === '') return 'expected a number';
    s = s.slice(num[0].length);
    let i = 0;
    while (i < s.length && s[i] !== '.' && (s[i]! < '0' || s[i]! > '9')) i++;
    if (i === 0) return 'missing unit';
    const unitText = s.slice(0, i);
    const unit = NS_PER_UNIT.get(unitText);
    if (unit === undefined) return `unknown unit ${JSON.stringify(unitText)}; units are ns, us, µs, ms, s, m, h`;
    s = s.slice(i);
    let part = BigInt(whole || '0') * unit;
    if (frac !== '') part += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += part;
    if (total > MAX_NS + (neg ? 1n : 0n)) return 'out of range (over 2562047h)';
  }
  return neg ? -total : total;
}
