/**
 * Min-max scoring shared by the load scorers: (max - v) / (max - min) over the candidates with fresh metrics,
 * all equal -> 1; an endpoint with stale or never-scraped metrics scores 0 (the worst) and is left out of min
 * and max. `read` is a module-level accessor per scorer, so each call site stays monomorphic.
 */
import type { Endpoint } from '../../../datastore/endpoint.ts';

export function scoreMinMax(candidates: readonly Endpoint[], n: number, out: Float64Array, now: number, stalenessMs: number, read: (ep: Endpoint) => number): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const ep = candidates[i]!;
    if (ep.metricsAge(now) > stalenessMs) continue;
    const v = read(ep);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  for (let i = 0; i < n; i++) {
    const ep = candidates[i]!;
    if (ep.metricsAge(now) > stalenessMs) out[i] = 0;
    else out[i] = range > 0 ? (max - read(ep)) / range : 1;
  }
}
