/**
 * Min-max scoring shared by the load scorers: (max - v) / (max - min) over the candidates with fresh metrics,
 * all equal -> 1; an endpoint with stale or never-scraped metrics scores 0 (the worst) and is left out of min
 * and max. `read` is a module-level accessor per scorer.
 */
import type { Endpoint } from '../../../framework/endpoint.ts';
import type { Clock } from '../../../framework/clock.ts';
import type { PluginHandle } from '../../../framework/plugin.ts';
import type { LLMRequest } from '../../../framework/request.ts';
import type { Scorer } from '../../../framework/scheduling.ts';

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

/** A Distribution scorer that min-max scores one scraped load figure (queue-scorer, running-requests-size-scorer). */
export class MinMaxScorer implements Scorer {
  readonly type: string;
  readonly category = 'Distribution';
  readonly name: string;
  readonly #clock: Clock;
  readonly #stalenessMs: number;
  readonly #read: (ep: Endpoint) => number;

  constructor(type: string, name: string, handle: PluginHandle, read: (ep: Endpoint) => number) {
    this.type = type;
    this.name = name;
    this.#clock = handle.clock;
    this.#stalenessMs = handle.metricsStalenessMs;
    this.#read = read;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    scoreMinMax(candidates, n, out, this.#clock.now(), this.#stalenessMs, this.#read);
  }
}
