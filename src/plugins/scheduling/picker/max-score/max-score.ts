/**
 * max-score-picker: the endpoint with the highest total score; equal top scores take turns (round-robin over
 * the tied candidates in candidate order, one step per pick, as upstream since #2515/#2709).
 * k = 1 is two passes over the scores (no shuffle, sort or copy, unlike the upstream picker); k > 1 is a
 * partial selection that yields an ordered fallback list, the tied top first in rotated order.
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
  /** Picks made with tied top scores; selects the next of the tied set (wraps). */
  #turn = 0;

  constructor(name: string, maxEndpoints: number) {
    this.name = name;
    this.maxEndpoints = maxEndpoints;
    this.#top = new TopK(maxEndpoints);
  }

  pick(_request: LLMRequest, candidates: readonly Endpoint[], n: number, scores: Float64Array, out: Endpoint[]): number {
    if (n === 0) return 0;
    const k = out.length < this.maxEndpoints ? out.length : this.maxEndpoints;
    if (k === 0) return 0;
    // The top score and how many candidates share it.
    let best = scores[0]!;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      const s = scores[i]!;
      if (s > best) {
        best = s;
        ties = 1;
      } else if (s === best) {
        ties++;
      }
    }
    // Round-robin among the tied top candidates (upstream #2515/#2709): consecutive picks with the same
    // scores walk the tied set instead of drawing from it, so a burst of identical requests spreads evenly.
    const turn = ties === 1 ? 0 : this.#turn++ % ties;
    if (k === 1) {
      let seen = 0;
      for (let i = 0; i < n; i++) {
        if (scores[i] === best && seen++ === turn) {
          out[0] = candidates[i]!;
          return 1;
        }
      }
    }
    // k > 1: the tied top candidates in rotated order (tie key: rank from `turn`), then the rest by score with
    // random order among equal lower scores.
    const top = this.#top;
    top.reset();
    let j = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (s === best) {
        const rank = (j++ - turn + ties) % ties;
        top.offer(i, s, 2 + ties - rank); // above any random draw in [0,1)
      } else {
        top.offer(i, s, pickerRandom.next());
      }
    }
    return top.writeBest(candidates, k, out);
  }
}

export function createMaxScorePicker(name: string, params: unknown, _handle: PluginHandle): MaxScorePicker {
  const p = readParams(name, params, ['maxNumOfEndpoints']);
  return new MaxScorePicker(name, intParam(name, p, 'maxNumOfEndpoints', 1, 1, MAX_NUM_OF_ENDPOINTS_LIMIT));
}
