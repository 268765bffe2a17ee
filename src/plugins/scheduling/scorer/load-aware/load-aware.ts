/**
 * load-aware-scorer (Distribution): by the scraped waiting queue q against `threshold` (upstream
 * scheduling/scorer/loadaware): q = 0 -> 0.5; else 0.5 * (1 - min(q, threshold) / threshold). Stale or
 * never-scraped metrics count as a full queue (0).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import type { Clock } from '../../../../framework/clock.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';

export const LOAD_AWARE_SCORER_TYPE = 'load-aware-scorer';
export const DEFAULT_QUEUE_THRESHOLD = 128;

export class LoadAwareScorer implements Scorer {
  readonly type = LOAD_AWARE_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly threshold: number;
  readonly #clock: Clock;
  readonly #stalenessMs: number;

  constructor(name: string, threshold: number, handle: PluginHandle) {
    this.name = name;
    this.threshold = threshold;
    this.#clock = handle.clock;
    this.#stalenessMs = handle.metricsStalenessMs;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const now = this.#clock.now();
    const th = this.threshold;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const q = ep.metricsAge(now) > this.#stalenessMs ? th : ep.waitingQueue;
      out[i] = q <= 0 ? 0.5 : 0.5 * (1 - (q < th ? q : th) / th);
    }
  }
}

export function createLoadAwareScorer(name: string, params: unknown, handle: PluginHandle): LoadAwareScorer {
  const p = readParams(name, params, ['threshold']);
  // Upstream: a threshold <= 0 means the default (with a log line).
  const th = intParam(name, p, 'threshold', DEFAULT_QUEUE_THRESHOLD, Number.MIN_SAFE_INTEGER);
  if (th <= 0) handle.logger.warn({ plugin: name, threshold: th }, `load-aware-scorer: threshold should be positive; using ${DEFAULT_QUEUE_THRESHOLD}`);
  return new LoadAwareScorer(name, th > 0 ? th : DEFAULT_QUEUE_THRESHOLD, handle);
}
