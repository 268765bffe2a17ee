/**
 * slo-headroom-tier-filter: splits the candidates into a positive tier (predicted TTFT and TPOT within the
 * request's SLO) and a negative tier (the rest, including candidates without a prediction), and keeps one:
 * the positive tier, except with probability epsilonExploreNeg the negative one (exploration so an endpoint
 * predicted too slow gets traffic and a chance to be re-learned). One non-empty tier is kept whatever epsilon
 * says; with no predictions at all, every candidate is kept (upstream scheduling/filter/sloheadroomtier).
 */
import { dataKey, LATENCY_PREDICTION_INFO_KEY, PREDICTED_LATENCY_PRODUCER_TYPE, requestData, type LatencyPredictions } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const SLO_HEADROOM_TIER_FILTER_TYPE = 'slo-headroom-tier-filter';

export class SloHeadroomTierFilter implements Filter {
  readonly type = SLO_HEADROOM_TIER_FILTER_TYPE;
  readonly name: string;
  readonly epsilonExploreNeg: number;
  readonly consumes: DataDependencies;
  readonly #key: string;
  readonly #random: () => number;
  #positive = new Uint8Array(64);

  constructor(name: string, epsilonExploreNeg: number, producerName: string, random: () => number = Math.random) {
    this.name = name;
    this.epsilonExploreNeg = epsilonExploreNeg;
    this.#key = dataKey(LATENCY_PREDICTION_INFO_KEY, producerName || PREDICTED_LATENCY_PRODUCER_TYPE);
    this.consumes = { required: [this.#key] };
    this.#random = random;
  }

  filter(request: LLMRequest, candidates: Endpoint[], n: number): number {
    if (n <= 1) return n;
    const p = requestData<LatencyPredictions>(request, this.#key);
    if (p === null) return n;
    if (this.#positive.length < n) this.#positive = new Uint8Array(n);
    let positives = 0;
    let predicted = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const has = p.has(ep);
      if (has) predicted++;
      const pos = has && p.ttftHeadroomMs(ep) >= 0 && p.tpotHeadroomMs(ep) >= 0;
      this.#positive[i] = pos ? 1 : 0;
      if (pos) positives++;
    }
    if (predicted === 0 || positives === 0 || positives === n) return n;
    const keep = this.#random() < this.epsilonExploreNeg ? 0 : 1;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (this.#positive[i] === keep) {
        const ep = candidates[i]!;
        candidates[i] = candidates[k]!;
        candidates[k++] = ep;
      }
    }
    return k;
  }
}

export function createSloHeadroomTierFilter(name: string, params: unknown, _handle: PluginHandle): SloHeadroomTierFilter {
  const p = readParams(name, params, ['epsilonExploreNeg', 'latencyPredictionInfoProducerName']);
  const eps = numberParam(name, p, 'epsilonExploreNeg', 0.01, -Infinity);
  if (!(eps >= 0 && eps <= 1)) throw new PluginConfigError(name, 'epsilonExploreNeg', `epsilonExploreNeg must be in [0, 1], got ${eps}`);
  return new SloHeadroomTierFilter(name, eps, stringParam(name, p, 'latencyPredictionInfoProducerName', ''));
}
