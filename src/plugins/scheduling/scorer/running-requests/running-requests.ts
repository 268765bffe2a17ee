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
import { scoreMinMax } from '../min-max.ts';

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
    scoreMinMax(candidates, n, out, this.#clock.now(), this.#stalenessMs, read);
  }
}

export function createRunningRequestsScorer(name: string, params: unknown, handle: PluginHandle): RunningRequestsScorer {
  readParams(name, params, []);
  return new RunningRequestsScorer(name, handle.clock, handle.metricsStalenessMs);
}

function read(ep: Endpoint): number {
  return ep.runningRequests;
}
