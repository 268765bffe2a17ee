/**
 * weighted-random-picker: picks with probability proportional to the total score, by A-Res reservoir
 * sampling (key = U^(1/w), computed as ln(U)/w, which orders the same and avoids pow). Candidates with
 * score <= 0 get key -Infinity, so they come last in random order; when every score is <= 0 the pick is
 * uniform.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Picker } from '../../../../framework/scheduling.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';
import { MAX_NUM_OF_ENDPOINTS_LIMIT } from '../max-score/max-score.ts';
import { pickerRandom } from '../picker-random.ts';
import { TopK } from '../top-k.ts';

export const WEIGHTED_RANDOM_PICKER_TYPE = 'weighted-random-picker';

export class WeightedRandomPicker implements Picker {
  readonly type = WEIGHTED_RANDOM_PICKER_TYPE;
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
    const top = this.#top;
    top.reset();
    for (let i = 0; i < n; i++) {
      const w = scores[i]!;
      // 1 - next() is in (0, 1], so ln() is finite.
      const key = w > 0 ? Math.log(1 - pickerRandom.next()) / w : -Infinity;
      top.offer(i, key, pickerRandom.next());
    }
    return top.writeBest(candidates, k, out);
  }
}

export function createWeightedRandomPicker(name: string, params: unknown, _handle: PluginHandle): WeightedRandomPicker {
  const p = readParams(name, params, ['maxNumOfEndpoints']);
  return new WeightedRandomPicker(name, intParam(name, p, 'maxNumOfEndpoints', 1, 1, MAX_NUM_OF_ENDPOINTS_LIMIT));
}
