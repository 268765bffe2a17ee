/** Readers of single flag values: each throws FlagError naming the flag. */
import { parseDuration } from '../input/duration.ts';
import { FieldError } from '../input/fields.ts';
import { parseLabelSelector, type LabelSelector } from '../input/label-selector.ts';

/** exitCode as upstream's: 2 for what pflag rejects while parsing, 1 for what Validate rejects after. */
export class FlagError extends Error {
  override name = 'FlagError';
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function int(s: string, name: string, min: number, max: number): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new FlagError(`--${name}: expected an integer ${min}-${max}, got "${s}"`);
  return n;
}

export function port(s: string, name: string): number {
  return int(s, name, 0, 65535);
}

/** pflag's strconv.ParseBool set, plus yes/no as this picker has always accepted. */
export function bool(s: string, name: string): boolean {
  if (/^(true|1|t|yes)$/i.test(s)) return true;
  if (/^(false|0|f|no)$/i.test(s)) return false;
  throw new FlagError(`--${name}: expected true or false, got "${s}"`);
}

/** Go durations; `bareNumberMs` keeps this picker's own flags accepting a bare number of milliseconds. */
export function duration(s: string, name: string, bareNumberMs = true): number {
  return fieldToFlag(() => parseDuration(s, `--${name}`, { bareNumberMs }));
}

export function ports(s: string): number[] {
  if (s.trim() === '') return [];
  const list = s.split(',').map((p) => int(p.trim(), 'endpoint-target-ports', 1, 65535));
  if (list.length > 8) throw new FlagError('--endpoint-target-ports: at most 8 ports');
  if (new Set(list).size !== list.length) throw new FlagError('--endpoint-target-ports: ports must be unique');
  return list;
}

export function selector(s: string): LabelSelector | undefined {
  if (s.trim() === '') return undefined;
  return fieldToFlag(() => parseLabelSelector(s, '--endpoint-selector'));
}

export function oneOf<T extends string>(s: string, name: string, allowed: readonly T[], fold = (v: string) => v): T {
  const v = fold(s);
  if (!(allowed as readonly string[]).includes(v)) throw new FlagError(`--${name}: expected ${allowed.join(', ')}, got "${s}"`);
  return v as T;
}

export function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * A byte size as upstream's --grpc-max-*-msg-size reads it: one trailing B/b dropped, then a Kubernetes
 * quantity ("10Mi", "25M", "1e6", "4096"). Returns bytes; 0 for "" (unset). Upstream's error texts.
 */
export function byteSize(text: string, name: string): number {
  let s = text.trim();
  if (s === '') return 0;
  if (s.length > 1 && (s.endsWith('B') || s.endsWith('b'))) s = s.slice(0, -1);
  const m = QUANTITY.exec(s);
  const suffix = m?.[2] ?? '';
  const exp = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
  const factor = exp ? 10 ** Number(exp[1]) : (BINARY[suffix] ?? DECIMAL[suffix]);
  const n = m ? Number(m[1]) : NaN;
  if (!m || factor === undefined || !Number.isFinite(n)) {
    throw new FlagError(`invalid ${name}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  }
  const bytes = n * factor;
  if (!Number.isSafeInteger(bytes)) throw new FlagError(`${name} overflows maximum supported size: ${s}`);
  if (bytes < 0) throw new FlagError(`${name} must be non-negative, got ${bytes}`);
  return bytes;
}

function fieldToFlag<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof FieldError) throw new FlagError(e.text());
    throw e;
  }
}
