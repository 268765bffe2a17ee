/**
 * inflight-load-producer (DataProducer, PreRequest, ResponseComplete): counts, per endpoint, the requests
 * and prompt tokens this picker routed there that have not finished (upstream
 * requestcontrol/dataproducer/inflightload). PreRequest adds the request and its uncached prompt tokens (the
 * prompt minus the pick's prefix-cache match) to the primary pick; ResponseComplete, which the director runs
 * exactly once per routed request, takes back exactly what was added. The counts live in
 * `Endpoint.attributes` under `inflight-load/<name>` (an InflightLoad), and each cycle publishes the
 * request's own uncached tokens per candidate under `uncached-request-tokens/<name>` in LLMRequest.data.
 * Read by token-load-scorer, active-request-scorer, concurrency-detector and prefix-cache-affinity-filter.
 */
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  INFLIGHT_LOAD_KEY,
  INFLIGHT_LOAD_PRODUCER_TYPE,
  PREFIX_CACHE_MATCH_INFO_KEY,
  requestData,
  UNCACHED_REQUEST_TOKENS_KEY,
  type InflightLoad,
  type PrefixCacheMatchInfo,
  type UncachedRequestTokens,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, LLMResponse, PreRequest, ResponseComplete, ResponseReceived } from '../../../../framework/requestcontrol.ts';
import { prefillResult, type SchedulingResult } from '../../../../framework/scheduling.ts';
import { boolParam, intParam, numberParam, readParams, stringParam } from '../../../../input/plugin-params.ts';

export { INFLIGHT_LOAD_PRODUCER_TYPE };

/** Characters per token of the prompt estimate (upstream's estimate backend; the same 4 as prefix hashing). */
const CHARS_PER_TOKEN = 4;

export interface InflightLoadConfig {
  readonly addEstimatedOutputTokens: boolean;
  readonly outputRatio: number;
  /** -1 = no cap. */
  readonly maxEstimatedOutputTokens: number;
  /** '' = approx-prefix-cache-producer. */
  readonly prefixMatchInfoProducerName: string;
}

export const DEFAULT_INFLIGHT_LOAD_CONFIG: InflightLoadConfig = {
  addEstimatedOutputTokens: false,
  outputRatio: 1.5,
  maxEstimatedOutputTokens: -1,
  prefixMatchInfoProducerName: '',
};

/** One endpoint's counters; the object is what a request is charged against (released on the same one). */
/** The profile name upstream's producer treats as the prefill stage. */

class Counters implements InflightLoad {
  requests = 0;
  tokens = 0;
}

/** The request's uncached tokens per candidate; reused for every request (valid for one cycle). */
class Uncached implements UncachedRequestTokens {
  request: LLMRequest | null = null;
  inputTokens = 0;
  prefix: PrefixCacheMatchInfo | null = null;
  readonly #owner: InflightLoadProducer;
  constructor(owner: InflightLoadProducer) {
    this.#owner = owner;
  }
  tokens(endpoint: Endpoint): number {
    return this.#owner.requestTokens(endpoint, this.inputTokens, this.prefix);
  }
}

export class InflightLoadProducer implements DataProducer, PreRequest, ResponseReceived, ResponseComplete {
  readonly type = INFLIGHT_LOAD_PRODUCER_TYPE;
  readonly name: string;
  readonly config: InflightLoadConfig;
  /** Endpoint.attributes key of the InflightLoad. */
  readonly loadKey: string;
  /** LLMRequest.data key of the UncachedRequestTokens. */
  readonly uncachedKey: string;
  readonly produces: readonly string[];
  readonly consumes: DataDependencies;
  readonly #prefixKey: string;
  /** LLMRequest.data keys of what PreRequest charged: the Counters and the token count. */
  readonly #chargedKey: string;
  readonly #chargedTokensKey: string;
  readonly #uncached = new Uncached(this);
  /** What PreRequest charged the prefill endpoint of a disaggregated request (upstream charges every profile's pick). */
  readonly #prefillChargedKey: string;
  readonly #prefillTokensKey: string;

  constructor(name: string, config: InflightLoadConfig) {
    this.name = name;
    this.config = config;
    this.loadKey = dataKey(INFLIGHT_LOAD_KEY, name);
    this.uncachedKey = dataKey(UNCACHED_REQUEST_TOKENS_KEY, name);
    this.#prefixKey = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, config.prefixMatchInfoProducerName || APPROX_PREFIX_CACHE_PRODUCER_TYPE);
    this.#chargedKey = `${this.loadKey}#charged`;
    this.#chargedTokensKey = `${this.loadKey}#tokens`;
    this.#prefillChargedKey = `${this.loadKey}#prefill`;
    this.#prefillTokensKey = `${this.loadKey}#prefill-tokens`;
    this.produces = [this.loadKey, this.uncachedKey];
    this.consumes = { optional: [this.#prefixKey] };
  }

  produce(request: LLMRequest, _candidates: readonly Endpoint[]): void {
    const u = this.#uncached;
    u.request = request;
    u.inputTokens = Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    u.prefix = requestData<PrefixCacheMatchInfo>(request, this.#prefixKey);
    request.data.set(this.uncachedKey, u);
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    if (result.primary.count === 0 || request.data.has(this.#chargedKey)) return;
    const ep = result.primary.endpoints[0]!;
    let u = requestData<Uncached>(request, this.uncachedKey);
    if (u === null) {
      this.produce(request, result.primary.endpoints);
      u = this.#uncached;
    }
    this.#charge(request, ep, u.tokens(ep), this.#chargedKey, this.#chargedTokensKey);
    if (result.profileResults.size > 1) this.#chargePrefill(request, result, u);
  }

  /**
   * A disaggregated request also loads its prefill endpoint (the `prefill` profile's pick, as upstream's
   * profilePrefill) with the prompt tokens it computes there, until the decode response starts: the
   * sidecar answers only after the prefill server has handed the KV cache over (upstream frees the prefill
   * entry at the first chunk).
   */
  #chargePrefill(request: LLMRequest, result: SchedulingResult, u: UncachedRequestTokens): void {
    const pr = prefillResult(result);
    if (pr === null) return;
    const ep = pr.endpoints[0]!;
    if (ep === result.primary.endpoints[0]) return;
    this.#charge(request, ep, u.tokens(ep), this.#prefillChargedKey, this.#prefillTokensKey);
  }

  /** Adds one request and `tokens` to the endpoint's counters and notes on the request what to release. */
  #charge(request: LLMRequest, ep: Endpoint, tokens: number, chargedKey: string, tokensKey: string): void {
    let load = ep.attributes.get(this.loadKey) as Counters | undefined;
    if (load === undefined) {
      load = new Counters();
      ep.attributes.set(this.loadKey, load);
    }
    load.requests++;
    load.tokens += tokens;
    request.data.set(chargedKey, load);
    request.data.set(tokensKey, tokens);
  }

  #releasePrefill(request: LLMRequest): void {
    const load = request.data.get(this.#prefillChargedKey) as Counters | undefined;
    if (load === undefined) return;
    const tokens = request.data.get(this.#prefillTokensKey) as number;
    request.data.delete(this.#prefillChargedKey);
    load.requests = load.requests > 1 ? load.requests - 1 : 0;
    load.tokens = load.tokens > tokens ? load.tokens - tokens : 0;
  }

  /** The decode response started: the prefill stage is over. */
  responseReceived(request: LLMRequest, _response: LLMResponse, _endpoint: Endpoint): void {
    this.#releasePrefill(request);
  }

  /** Takes back what preRequest added, from the counters it added to (even after a gateway retry elsewhere). */
  responseComplete(request: LLMRequest, _response: LLMResponse, _endpoint: Endpoint): void {
    this.#releasePrefill(request);
    const load = request.data.get(this.#chargedKey) as Counters | undefined;
    if (load === undefined) return;
    const tokens = request.data.get(this.#chargedTokensKey) as number;
    request.data.delete(this.#chargedKey);
    load.requests = load.requests > 1 ? load.requests - 1 : 0;
    load.tokens = load.tokens > tokens ? load.tokens - tokens : 0;
  }

  /** In-flight load of an endpoint (zeros when nothing was routed there). */
  loadOf(endpoint: Endpoint): InflightLoad {
    return (endpoint.attributes.get(this.loadKey) as Counters | undefined) ?? ZERO;
  }

  /**
   * Upstream estimateRequestTokens: the prompt tokens the endpoint must compute (blocks beyond its prefix
   * match, plus any tail past the hashed window), plus the estimated output when configured.
   */
  requestTokens(endpoint: Endpoint, inputTokens: number, prefix: PrefixCacheMatchInfo | null): number {
    let tokens = inputTokens;
    if (prefix !== null && prefix.blockSizeTokens > 0) {
      const indexed = prefix.totalBlocks * prefix.blockSizeTokens;
      const uncachedIndexed = indexed - prefix.matchBlocks(endpoint) * prefix.blockSizeTokens;
      const tail = inputTokens - indexed;
      tokens = (uncachedIndexed > 0 ? uncachedIndexed : 0) + (tail > 0 ? tail : 0);
    }
    const cfg = this.config;
    if (cfg.addEstimatedOutputTokens && inputTokens > 0) {
      // Output is estimated from the whole prompt, not its uncached part (upstream).
      const est = Math.round(inputTokens * cfg.outputRatio);
      tokens += cfg.maxEstimatedOutputTokens >= 0 && cfg.maxEstimatedOutputTokens < est ? cfg.maxEstimatedOutputTokens : est;
    }
    return tokens;
  }
}

const ZERO: InflightLoad = Object.freeze({ requests: 0, tokens: 0 });

const PARAMS = ['addEstimatedOutputTokens', 'outputRatio', 'maxEstimatedOutputTokens', 'prefixMatchInfoProducerName', 'syncCrossReplicaState'] as const;

export function createInflightLoadProducer(name: string, params: unknown, _handle: PluginHandle): InflightLoadProducer {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_INFLIGHT_LOAD_CONFIG;
  boolParam(name, p, 'syncCrossReplicaState', true); // one replica's view: accepted, nothing to sync
  return new InflightLoadProducer(name, {
    addEstimatedOutputTokens: boolParam(name, p, 'addEstimatedOutputTokens', d.addEstimatedOutputTokens),
    outputRatio: numberParam(name, p, 'outputRatio', d.outputRatio, 0),
    maxEstimatedOutputTokens: intParam(name, p, 'maxEstimatedOutputTokens', d.maxEstimatedOutputTokens, 0),
    prefixMatchInfoProducerName: stringParam(name, p, 'prefixMatchInfoProducerName', d.prefixMatchInfoProducerName),
  });
}
