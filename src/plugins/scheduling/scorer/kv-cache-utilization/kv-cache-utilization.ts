/**
 * kv-cache-utilization-scorer (Distribution): 1 - kvCacheUsage, absolute (not relative to the other
 * candidates). Stale or never-scraped metrics count as a full cache: score 0.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const KV_CACHE_UTILIZATION_SCORER_TYPE = 'kv-cache-utilization-scorer';

export class KvCacheUtilizationScorer implements Scorer {
  readonly type = KV_CACHE_UTILIZATION_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly #clock: Clock;
  readonly #stalenessMs: number;

  constructor(name: string, clock: Clock, stalenessMs: number) {
    this.name = name;
    this.#clock = clock;
    this.#stalenessMs = stalenessMs;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const now = this.#clock.now();
    const staleness = this.#stalenessMs;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      out[i] = ep.metricsAge(now) > staleness ? 0 : 1 - ep.kvCacheUsage;
    }
  }
}

export function createKvCacheUtilizationScorer(name: string, params: unknown, handle: PluginHandle): KvCacheUtilizationScorer {
  readParams(name, params, []);
  return new KvCacheUtilizationScorer(name, handle.clock, handle.metricsStalenessMs);
}
