/** random-picker: ignores scores; picks uniformly, k > 1 by a partial Fisher-Yates over reused index scratch. */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Picker } from '../../../../framework/scheduling.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';
import { MAX_NUM_OF_ENDPOINTS_LIMIT } from '../max-score/max-score.ts';
import { pickerRandom } from '../picker-random.ts';

export const RANDOM_PICKER_TYPE = 'random-picker';

export class RandomPicker implements Picker {
  readonly type = RANDOM_PICKER_TYPE;
  readonly name: string;
  readonly maxEndpoints: number;
  #order = new Int32Array(16);

  constructor(name: string, maxEndpoints: number) {
    this.name = name;
    this.maxEndpoints = maxEndpoints;
  }

  pick(_request: LLMRequest, candidates: readonly Endpoint[], n: number, _scores: Float64Array, out: Endpoint[]): number {
    if (n === 0) return 0;
    const k = Math.min(out.length, this.maxEndpoints, n);
    if (k === 0) return 0;
    if (k === 1) {
      out[0] = candidates[pickerRandom.below(n)]!;
      return 1;
    }
    if (this.#order.length < n) this.#order = new Int32Array(Math.max(n, this.#order.length * 2));
    const order = this.#order;
    for (let i = 0; i < n; i++) order[i] = i;
    for (let j = 0; j < k; j++) {
      const r = j + pickerRandom.below(n - j);
      const t = order[r]!;
      order[r] = order[j]!;
      order[j] = t;
      out[j] = candidates[t]!;
    }
    return k;
  }
}

export function createRandomPicker(name: string, params: unknown, _handle: PluginHandle): RandomPicker {
  const p = readParams(name, params, ['maxNumOfEndpoints']);
  return new RandomPicker(name, intParam(name, p, 'maxNumOfEndpoints', 1, 1, MAX_NUM_OF_ENDPOINTS_LIMIT));
}
