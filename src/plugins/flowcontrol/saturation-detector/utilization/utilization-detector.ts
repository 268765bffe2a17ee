/**
 * utilization-detector: pool saturation from queue depth and KV-cache use, as upstream's default detector.
 *   endpoint score = max(waitingQueue / queueDepthThreshold, kvCacheUsage / kvCacheUtilThreshold);
 *   stale or never-scraped metrics -> 1.0; pool = unweighted average; no candidates -> 1.0 (>= 1 = saturated).
 * Also a Filter (upstream detectors implement Filter too): drops stale endpoints and those with
 * queue >= queueDepthThreshold x (1 + headroom) or KV >= min(1, kvCacheUtilThreshold x (1 + headroom));
 * when that would drop every candidate it keeps them all (fail open).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { SaturationDetector } from '../../../../framework/requestcontrol.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { durationMsParam, intParam, numberParam, readParams } from '../../../../input/plugin-params.ts';
import { stageAwareSaturation } from '../stages.ts';

export const UTILIZATION_DETECTOR_TYPE = 'utilization-detector';

export interface UtilizationDetectorConfig {
  readonly queueDepthThreshold: number;
  readonly kvCacheUtilThreshold: number;
  readonly metricsStalenessMs: number;
  /** Extra room over the thresholds before the Filter drops an endpoint; 0.1 = 10%. */
  readonly headroom: number;
}

export class UtilizationDetector implements SaturationDetector, Filter {
  readonly type = UTILIZATION_DETECTOR_TYPE;
  readonly name: string;
  readonly config: UtilizationDetectorConfig;
  readonly #clock: Clock;
  readonly #queueLimit: number;
  readonly #kvLimit: number;

  constructor(name: string, clock: Clock, config: UtilizationDetectorConfig) {
    this.name = name;
    this.config = config;
    this.#clock = clock;
    this.#queueLimit = config.queueDepthThreshold * (1 + config.headroom);
    this.#kvLimit = Math.min(1, config.kvCacheUtilThreshold * (1 + config.headroom));
  }

  /** Average of max(queue / threshold, KV / threshold) per candidate, by stage in a P/D pool (stages.ts). */
  saturation(candidates: readonly Endpoint[]): number {
    return stageAwareSaturation(candidates, this.#scoreOf, this.#clock.now());
  }

  readonly #scoreOf = (ep: Endpoint, now: number): number => this.#score(ep, now);

  #score(ep: Endpoint, now: number): number {
    const { queueDepthThreshold, kvCacheUtilThreshold, metricsStalenessMs } = this.config;
    if (ep.metricsAge(now) > metricsStalenessMs) return 1;
    const q = ep.waitingQueue / queueDepthThreshold;
    const kv = ep.kvCacheUsage / kvCacheUtilThreshold;
    return q > kv ? q : kv;
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    const now = this.#clock.now();
    // Count first so that the fail-open case leaves the array untouched.
    let kept = 0;
    for (let i = 0; i < n; i++) if (this.#hasRoom(candidates[i]!, now)) kept++;
    if (kept === 0 || kept === n) return n;
    let w = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (this.#hasRoom(ep, now)) candidates[w++] = ep;
    }
    return w;
  }

  #hasRoom(ep: Endpoint, now: number): boolean {
    return (
      ep.metricsAge(now) <= this.config.metricsStalenessMs &&
      ep.waitingQueue < this.#queueLimit &&
      ep.kvCacheUsage < this.#kvLimit
    );
  }
}

export function createUtilizationDetector(name: string, params: unknown, handle: PluginHandle): UtilizationDetector {
  const p = readParams(name, params, ['queueDepthThreshold', 'kvCacheUtilThreshold', 'metricsStalenessThreshold', 'headroom']);
  return new UtilizationDetector(name, handle.clock, {
    queueDepthThreshold: intParam(name, p, 'queueDepthThreshold', 5, 1),
    kvCacheUtilThreshold: numberParam(name, p, 'kvCacheUtilThreshold', 0.8, Number.MIN_VALUE, 1),
    metricsStalenessMs: durationMsParam(name, p, 'metricsStalenessThreshold', handle.metricsStalenessMs),
    headroom: numberParam(name, p, 'headroom', 0, 0),
  });
}
