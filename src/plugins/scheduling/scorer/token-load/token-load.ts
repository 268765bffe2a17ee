/**
 * token-load-scorer (Distribution): 1 - min(1, tokens / queueThresholdTokens), where tokens = the endpoint's
 * in-flight tokens plus this request's uncached tokens there, both from an inflight-load-producer
 * (upstream scheduling/scorer/tokenload). No tokens = 1.
 */
import {
  dataKey,
  endpointData,
  INFLIGHT_LOAD_KEY,
  INFLIGHT_LOAD_PRODUCER_TYPE,
  requestData,
  UNCACHED_REQUEST_TOKENS_KEY,
  type InflightLoad,
  type UncachedRequestTokens,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { intParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export const TOKEN_LOAD_SCORER_TYPE = 'token-load-scorer';

/** 128 requests of 32K tokens (upstream tokenQueueThresholdDefault). */
export const DEFAULT_QUEUE_THRESHOLD_TOKENS = 4_194_304;

export class TokenLoadScorer implements Scorer {
  readonly type = TOKEN_LOAD_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly queueThresholdTokens: number;
  readonly consumes: DataDependencies;
  readonly #loadKey: string;
  readonly #uncachedKey: string;

  constructor(name: string, queueThresholdTokens: number, producerName: string) {
    this.name = name;
    this.queueThresholdTokens = queueThresholdTokens;
    this.#loadKey = dataKey(INFLIGHT_LOAD_KEY, producerName);
    this.#uncachedKey = dataKey(UNCACHED_REQUEST_TOKENS_KEY, producerName);
    this.consumes = { required: [this.#loadKey, this.#uncachedKey] };
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const uncached = requestData<UncachedRequestTokens>(request, this.#uncachedKey);
    const th = this.queueThresholdTokens;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const load = endpointData<InflightLoad>(ep, this.#loadKey);
      const tokens = (load === undefined ? 0 : load.tokens) + (uncached === null ? 0 : uncached.tokens(ep));
      out[i] = tokens <= 0 ? 1 : 1 - (tokens < th ? tokens : th) / th;
    }
  }
}

export function createTokenLoadScorer(name: string, params: unknown, _handle: PluginHandle): TokenLoadScorer {
  const p = readParams(name, params, ['queueThresholdTokens', 'inFlightLoadProducerName']);
  // Upstream: a value <= 0 means the default.
  const th = intParam(name, p, 'queueThresholdTokens', DEFAULT_QUEUE_THRESHOLD_TOKENS, Number.MIN_SAFE_INTEGER);
  const producer = stringParam(name, p, 'inFlightLoadProducerName', '') || INFLIGHT_LOAD_PRODUCER_TYPE;
  return new TokenLoadScorer(name, th > 0 ? th : DEFAULT_QUEUE_THRESHOLD_TOKENS, producer);
}
