/**
 * queue-scorer (Distribution): min-max of the waiting queue across the candidates, (max - q) / (max - min);
 * all equal -> 1. An endpoint with stale or never-scraped metrics scores 0 (the worst) and is left out of
 * min and max.
 */
import type { Endpoint } from '../../../../datastore/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../params.ts';

export const QUEUE_SCORER_TYPE = 'queue-scorer';

export class QueueScorer implements Scorer {
  readonly type = QUEUE_SCORER_TYPE;
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
      const q = ep.waitingQueue;
      if (q < min) min = q;
      if (q > max) max = q;
    }
    const range = max - min;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (ep.metricsAge(now) > staleness) out[i] = 0;
      else out[i] = range > 0 ? (max - ep.waitingQueue) / range : 1;
    }
  }
}

export function createQueueScorer(name: string, params: unknown, handle: PluginHandle): QueueScorer {
  readParams(name, params, []);
  return new QueueScorer(name, handle.clock, handle.metricsStalenessMs);
}
