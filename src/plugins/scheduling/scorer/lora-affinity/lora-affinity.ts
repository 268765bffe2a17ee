/**
 * lora-affinity-scorer (Affinity): prefers endpoints that already hold the request's adapter.
 * target = request.targetModel (request.model when no rewrite ran):
 *   in activeAdapters, or resident (loadedAdapters, where the engine reports residency, vllm:lora_adapter_loaded,
 *   upstream #2792) -> 1.0; else a free slot (active + waiting < maxLora; with residency: resident < maxLora) -> 0.8;
 *   else in waitingAdapters -> 0.6; else 0. Stale or never-scraped metrics -> 0.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams } from '../../../../input/plugin-params.ts';

export const LORA_AFFINITY_SCORER_TYPE = 'lora-affinity-scorer';

export const LORA_ACTIVE_SCORE = 1.0;
export const LORA_FREE_SLOT_SCORE = 0.8;
export const LORA_WAITING_SCORE = 0.6;

export class LoraAffinityScorer implements Scorer {
  readonly type = LORA_AFFINITY_SCORER_TYPE;
  readonly category = 'Affinity';
  readonly name: string;
  readonly #clock: Clock;
  readonly #stalenessMs: number;

  constructor(name: string, clock: Clock, stalenessMs: number) {
    this.name = name;
    this.#clock = clock;
    this.#stalenessMs = stalenessMs;
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const now = this.#clock.now();
    const staleness = this.#stalenessMs;
    const target = request.targetModel || request.model;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (ep.metricsAge(now) > staleness) out[i] = 0;
      else if (ep.activeAdapters.has(target) || ep.loadedAdapters.has(target)) out[i] = LORA_ACTIVE_SCORE;
      else if ((ep.residencyKnown ? ep.loadedAdapters.size : ep.activeAdapters.size + ep.waitingAdapters.size) < ep.maxLora) out[i] = LORA_FREE_SLOT_SCORE;
      else if (ep.waitingAdapters.has(target)) out[i] = LORA_WAITING_SCORE;
      else out[i] = 0;
    }
  }
}

export function createLoraAffinityScorer(name: string, params: unknown, handle: PluginHandle): LoraAffinityScorer {
  readParams(name, params, []);
  return new LoraAffinityScorer(name, handle.clock, handle.metricsStalenessMs);
}
