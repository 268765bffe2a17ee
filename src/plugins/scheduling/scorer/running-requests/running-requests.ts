/**
 * running-requests-size-scorer (Distribution): min-max of the running requests across the candidates,
 * (max - r) / (max - min); all equal -> 1. Stale or never-scraped metrics score 0 and are left out of min
 * and max.
 */
import type { Endpoint } from '../../../../datastore/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../params.ts';

export const RUNNING_REQUESTS_SCORER_TYPE = 'running-requests-size-scorer';

export class RunningRequestsScorer implements Scorer {
  readonly type = RUNNING_REQUESTS_SCORER_TYPE;
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
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (ep.metricsAge(now) > staleness) continue;
      const r = ep.runningRequests;
      if (r < min) min = r;
      if (r > max) max = r;
    }
    const range = max - min;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (ep.metricsAge(now) > staleness) out[i] = 0;
      else out[i] = range > 0 ? (max - ep.runningRequests) / range : 1;
    }
  }
}

export function createRunningRequestsScorer(name: string, params: unknown, handle: PluginHandle): RunningRequestsScorer {
  readParams(name, params, []);
  return new RunningRequestsScorer(name, handle.clock, handle.metricsStalenessMs);
}
