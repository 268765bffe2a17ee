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
import { scoreMinMax } from '../min-max.ts';

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
    scoreMinMax(candidates, n, out, this.#clock.now(), this.#stalenessMs, read);
  }
}

export function createQueueScorer(name: string, params: unknown, handle: PluginHandle): QueueScorer {
  readParams(name, params, []);
  return new QueueScorer(name, handle.clock, handle.metricsStalenessMs);
}

function read(ep: Endpoint): number {
  return ep.waitingQueue;
}
