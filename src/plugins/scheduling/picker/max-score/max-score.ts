/**
 * max-score-picker: the endpoint with the highest total score; ties broken uniformly at random.
 * k = 1 is one pass with reservoir tie-break (no shuffle, sort or copy, unlike the upstream picker);
 * k > 1 is a partial selection that yields an ordered fallback list.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Picker } from '../../../../framework/scheduling.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';
import { pickerRandom } from '../picker-random.ts';
import { TopK } from '../top-k.ts';

export const MAX_SCORE_PICKER_TYPE = 'max-score-picker';
export const MAX_NUM_OF_ENDPOINTS_LIMIT = 64;

export class MaxScorePicker implements Picker {
  readonly type = MAX_SCORE_PICKER_TYPE;
  readonly name: string;
  readonly maxEndpoints: number;
  readonly #top: TopK;

  constructor(name: string, maxEndpoints: number) {
    this.name = name;
    this.maxEndpoints = maxEndpoints;
    this.#top = new TopK(maxEndpoints);
  }

  pick(_request: LLMRequest, candidates: readonly Endpoint[], n: number, scores: Float64Array, out: Endpoint[]): number {
    if (n === 0) return 0;
    const k = out.length < this.maxEndpoints ? out.length : this.maxEndpoints;
    if (k === 0) return 0;
    if (k === 1) {
      let best = scores[0]!;
      let bestIdx = 0;
      let ties = 1;
      for (let i = 1; i < n; i++) {
        const s = scores[i]!;
        if (s > best) {
          best = s;
          bestIdx = i;
          ties = 1;
        } else if (s === best) {
          // Reservoir sampling over the tied set: the i-th tie replaces the choice with probability 1/ties.
          ties++;
          if (pickerRandom.next() * ties < 1) bestIdx = i;
        }
      }
      out[0] = candidates[bestIdx]!;
      return 1;
    }
    const top = this.#top;
    top.reset();
    for (let i = 0; i < n; i++) top.offer(i, scores[i]!, pickerRandom.next());
    return top.writeBest(candidates, k, out);
  }
}

export function createMaxScorePicker(name: string, params: unknown, _handle: PluginHandle): MaxScorePicker {
  const p = readParams(name, params, ['maxNumOfEndpoints']);
  return new MaxScorePicker(name, intParam(name, p, 'maxNumOfEndpoints', 1, 1, MAX_NUM_OF_ENDPOINTS_LIMIT));
}
