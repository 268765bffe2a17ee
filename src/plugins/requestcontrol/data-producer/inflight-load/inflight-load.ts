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
import type { SyncedState, SyncedStateOwner } from '../../../../framework/synced-state.ts';
import { Counters, InflightSyncState } from './inflight-sync.ts';
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
  /** Share the counts with the other picker replicas when replica sync is on (upstream's parameter). */
  readonly syncCrossReplicaState: boolean;
}

export const DEFAULT_INFLIGHT_LOAD_CONFIG: InflightLoadConfig = {
  addEstimatedOutputTokens: false,
  outputRatio: 1.5,
  maxEstimatedOutputTokens: -1,
  prefixMatchInfoProducerName: '',
  syncCrossReplicaState: true,
};

/** The profile name upstream's producer treats as the prefill stage. */

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

export class InflightLoadProducer implements DataProducer, PreRequest, ResponseReceived, ResponseComplete, SyncedStateOwner {
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
  readonly #lookup: PluginHandle['endpoints'] | undefined;
  /** Set once the replica sync asks for it (and the config allows it). */
  #sync: InflightSyncState | null = null;

  constructor(name: string, config: InflightLoadConfig, lookup?: PluginHandle['endpoints']) {
    this.#lookup = lookup;
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
    load.add(1, tokens);
    this.#sync?.changed(ep, load);
    request.data.set(chargedKey, load);
    request.data.set(tokensKey, tokens);
    if (this.#sync !== null) request.data.set(`${chargedKey}#endpoint`, ep);
  }

  #releasePrefill(request: LLMRequest, endpoint: Endpoint | null): void {
    this.#release(request, this.#prefillChargedKey, this.#prefillTokensKey, endpoint);
  }

  /** Takes back one charge noted under chargedKey (once). */
  #release(request: LLMRequest, chargedKey: string, tokensKey: string, endpoint: Endpoint | null): void {
    const load = request.data.get(chargedKey) as Counters | undefined;
    if (load === undefined) return;
    const tokens = request.data.get(tokensKey) as number;
    request.data.delete(chargedKey);
    load.add(-1, -tokens);
    if (this.#sync !== null && endpoint !== null) this.#sync.changed(endpoint, load);
  }

  /** The decode response started: the prefill stage is over. */
  responseReceived(request: LLMRequest, _response: LLMResponse, _endpoint: Endpoint): void {
    this.#releasePrefill(request, this.#chargedEndpoint(request, this.#prefillChargedKey));
  }

  /** Takes back what preRequest added, from the counters it added to (even after a gateway retry elsewhere). */
  responseComplete(request: LLMRequest, _response: LLMResponse, _endpoint: Endpoint): void {
    this.#releasePrefill(request, this.#chargedEndpoint(request, this.#prefillChargedKey));
    this.#release(request, this.#chargedKey, this.#chargedTokensKey, this.#chargedEndpoint(request, this.#chargedKey));
  }

  /** The endpoint a charge was made against (synced replicas publish by endpoint key). */
  #chargedEndpoint(request: LLMRequest, chargedKey: string): Endpoint | null {
    if (this.#sync === null) return null;
    return (request.data.get(`${chargedKey}#endpoint`) as Endpoint | undefined) ?? null;
  }

  /** The in-flight counts as cross-replica state; null when the config turned syncCrossReplicaState off. */
  syncedState(): SyncedState | null {
    if (!this.config.syncCrossReplicaState || this.#lookup === undefined) return null;
    const lookup = this.#lookup;
    this.#sync ??= new InflightSyncState(`${this.type}/${this.name}`, (key) => {
      const ep = lookup.endpoint(key);
      if (ep === undefined) return undefined;
      let load = ep.attributes.get(this.loadKey) as Counters | undefined;
      if (load === undefined) {
        load = new Counters();
        ep.attributes.set(this.loadKey, load);
      }
      return load;
    });
    return this.#sync;
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

export function createInflightLoadProducer(name: string, params: unknown, handle: PluginHandle): InflightLoadProducer {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_INFLIGHT_LOAD_CONFIG;
  return new InflightLoadProducer(name, {
    addEstimatedOutputTokens: boolParam(name, p, 'addEstimatedOutputTokens', d.addEstimatedOutputTokens),
    outputRatio: numberParam(name, p, 'outputRatio', d.outputRatio, 0),
    maxEstimatedOutputTokens: intParam(name, p, 'maxEstimatedOutputTokens', d.maxEstimatedOutputTokens, 0),
    prefixMatchInfoProducerName: stringParam(name, p, 'prefixMatchInfoProducerName', d.prefixMatchInfoProducerName),
    syncCrossReplicaState: boolParam(name, p, 'syncCrossReplicaState', d.syncCrossReplicaState),
  }, handle.endpoints);
}
