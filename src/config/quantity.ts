/**
 * Kubernetes `resource.Quantity` as the flow-control limits use it (upstream `maxBytes: 1Gi`,
 * `maxRequests: 500`): an integer or decimal number, an optional exponent (`1e3`) or one binary
 * (Ki Mi Gi Ti Pi Ei) or decimal (n u m k M G T P E) suffix. Returns the value rounded up to an integer, as
 * `Quantity.Value()`.
 */
import { describe, FieldError } from '../input/fields.ts';

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

export function parseQuantity(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.ceil(v);
  const m = typeof v === 'string' ? QUANTITY.exec(v.trim()) : null;
  if (m === null) throw new FieldError(path, `must be a quantity such as 500, "100Mi" or "1G", got ${describe(v)}`);
  const base = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : 1);
  return Math.ceil(base * SUFFIX[m[3] ?? '']!);
}
