/**
 * load-balance-guard-filter: SGLang cache-aware routing's balance guard as a filter. When the in-flight request
 * counts an inflight-load-producer keeps are imbalanced (max - min > absThreshold and max > relThreshold * min),
 * only the least-loaded candidates stay; otherwise all stay and the scorers (prefix affinity) decide. It stops
 * sticky sessions from letting per-server in-flight counts drift apart at high load.
 */
import { dataKey, endpointData, INFLIGHT_LOAD_KEY, INFLIGHT_LOAD_PRODUCER_TYPE, type InflightLoad } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const LOAD_BALANCE_GUARD_FILTER_TYPE = 'load-balance-guard-filter';

export class LoadBalanceGuardFilter implements Filter {
  readonly type = LOAD_BALANCE_GUARD_FILTER_TYPE;
  readonly name: string;
  readonly absThreshold: number;
  readonly relThreshold: number;
  readonly consumes: DataDependencies;
  readonly #loadKey: string;

  constructor(name: string, absThreshold: number, relThreshold: number, producerName: string) {
    this.name = name;
    this.absThreshold = absThreshold;
    this.relThreshold = relThreshold;
    this.#loadKey = dataKey(INFLIGHT_LOAD_KEY, producerName);
    this.consumes = { required: [this.#loadKey] };
  }

  filter(_request: LLMRequest, candidates: Endpoint[], n: number): number {
    if (n <= 1) return n;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const c = this.#count(candidates[i]!);
      if (c < min) min = c;
      if (c > max) max = c;
    }
    if (max - min <= this.absThreshold || max <= this.relThreshold * min) return n;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (this.#count(ep) === min) candidates[kept++] = ep;
    }
    return kept;
  }

  #count(ep: Endpoint): number {
    const load = endpointData<InflightLoad>(ep, this.#loadKey);
    return load === undefined ? 0 : load.requests;
  }
}

const PARAMS = ['absThreshold', 'relThreshold', 'inFlightLoadProducerName'] as const;

/** Defaults are SGLang's router CLI defaults (balance_abs_threshold 64, balance_rel_threshold 1.5). */
export function createLoadBalanceGuardFilter(name: string, params: unknown): LoadBalanceGuardFilter {
  const p = readParams(name, params, PARAMS);
  const abs = numberParam(name, p, 'absThreshold', 64, 0);
  const rel = numberParam(name, p, 'relThreshold', 1.5, 1);
  const producer = stringParam(name, p, 'inFlightLoadProducerName', '') || INFLIGHT_LOAD_PRODUCER_TYPE;
  return new LoadBalanceGuardFilter(name, abs, rel, producer);
}
