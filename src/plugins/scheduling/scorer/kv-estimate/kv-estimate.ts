/**
 * kv-estimate-scorer (Distribution): 1 - estimated KV use, where the estimate is the last scraped
 * kv_cache_usage dead-reckoned forward with what this picker sent to the endpoint since that scrape:
 *
 *   estimate = kvCacheUsage + pendingTokenWeight x pendingTokens / capacity
 *   pendingTokens = sum over requests routed here since the scrape of (prompt tokens - expected cached tokens)
 *
 * Scraped metrics are up to one scrape interval old, so every request of an interval otherwise sees the same
 * "best" endpoint (herding). Counting the picker's own dispatches moves the estimate with every pick.
 * Dispatched tokens weigh pendingTokenWeight times a resident token: they are still to be prefilled, and a
 * prefill token costs a model-server step about 110 times what a resident context token costs (Llama-2-7B on
 * H100: 17.25 vs 0.156 us), so spreading them matters more for latency than their KV share.
 * The expected cached tokens come from LLMRequest.cachedPromptTokens (prefix-cache-scorer's PreRequest).
 */
import type { Endpoint } from '../../../../datastore/endpoint.ts';
import type { Clock } from '../../../../framework/clock.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { PreRequest, Scorer } from '../../../../framework/scheduling.ts';
import { intParam, numberParam, readParams } from '../../../params.ts';
import { EndpointLoads, type EndpointLoad } from './endpoint-loads.ts';

export const KV_ESTIMATE_SCORER_TYPE = 'kv-estimate-scorer';

/** Upstream's estimate of characters per token (as prefix-cache-scorer). */
const CHARS_PER_TOKEN = 4;

export interface KvEstimateConfig {
  /** KV-token equivalents of one prompt token dispatched since the scrape (1 = plain KV accounting). */
  readonly pendingTokenWeight: number;
  /** KV capacity in tokens for endpoints that publish no cache config; 0 = use the scraped usage alone. */
  readonly capacityTokens: number;
}

/** Tuned on bench/compare (bench/README.md, "Tuning"). */
export const DEFAULT_KV_ESTIMATE_CONFIG: KvEstimateConfig = { pendingTokenWeight: 20, capacityTokens: 0 };

export class KvEstimateScorer implements Scorer, PreRequest {
  readonly type = KV_ESTIMATE_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly config: KvEstimateConfig;
  readonly #clock: Clock;
  readonly #stalenessMs: number;
  readonly #loads = new EndpointLoads();

  // The last dispatch, whose prefix-cache discount is applied at the next call: PreRequest plugins run in
  // config order, so prefix-cache-scorer may set request.cachedPromptTokens after this plugin's preRequest.
  #lastRequest: LLMRequest | null = null;
  #lastLoad: EndpointLoad | null = null;

  constructor(name: string, config: KvEstimateConfig, clock: Clock, stalenessMs: number) {
    this.name = name;
    this.config = config;
    this.#clock = clock;
    this.#stalenessMs = stalenessMs;
  }

  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    this.#settle();
    const now = this.#clock.now();
    const staleness = this.#stalenessMs;
    const loads = this.#loads;
    const byPosition = loads.positions(n);
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      const scrapedAt = ep.metricsUpdatedAt;
      if (scrapedAt < 0 || now - scrapedAt > staleness) {
        out[i] = 0;
        continue;
      }
      let load = byPosition[i]!;
      if (load.endpoint !== ep) load = loads.resolve(i, ep);
      let estimate = ep.kvCacheUsage;
      if (load.scrapedAt === scrapedAt) {
        estimate += load.pendingShare;
      } else {
        // A new scrape already shows what was sent before it.
        load.scrapedAt = scrapedAt;
        load.pendingTokens = 0;
        load.pendingShare = 0;
      }
      out[i] = estimate >= 1 ? 0 : 1 - estimate;
    }
  }

  preRequest(request: LLMRequest, picked: readonly Endpoint[], count: number): void {
    this.#settle();
    if (count === 0) return;
    const ep = picked[0]!;
    const load = this.#loads.of(ep);
    load.pendingTokens += Math.ceil(request.promptText.length / CHARS_PER_TOKEN);
    this.#updateShare(load, ep);
    this.#lastRequest = request;
    this.#lastLoad = load;
  }

  /** Drops the endpoint's state; call on the datastore's endpointRemoved event. */
  removeEndpoint(key: string): void {
    if (this.#lastLoad !== null && this.#lastLoad.key === key) this.#settle();
    this.#loads.remove(key);
  }

  /** Tokens counted for an endpoint since its last scrape (tests, debugging). */
  pendingTokens(ep: Endpoint): number {
    this.#settle();
    return this.#loads.of(ep).pendingTokens;
  }

  /** Endpoints with state held (bounded by the pool; tests). */
  get endpointCount(): number {
    return this.#loads.size;
  }

  /**
   * Subtracts the last dispatch's expected prefix-cache hit. Runs first in every entry point, so the count
   * it corrects is still the one the dispatch went into; a scrape since then resets it right after.
   */
  #settle(): void {
    const load = this.#lastLoad;
    if (load === null) return;
    const cached = this.#lastRequest!.cachedPromptTokens;
    if (cached > 0 && load.endpoint !== null) {
      load.pendingTokens = cached < load.pendingTokens ? load.pendingTokens - cached : 0;
      this.#updateShare(load, load.endpoint);
    }
    this.#lastRequest = null;
    this.#lastLoad = null;
  }

  /** pendingShare = weight x pending / capacity, computed per dispatch so score() only adds it. */
  #updateShare(load: EndpointLoad, ep: Endpoint): void {
    const reported = ep.cacheBlockSize * ep.cacheNumBlocks;
    const capacity = reported > 0 ? reported : this.config.capacityTokens;
    load.pendingShare = capacity > 0 ? (this.config.pendingTokenWeight * load.pendingTokens) / capacity : 0;
  }
}

const PARAMS = ['pendingTokenWeight', 'capacityTokens'] as const;

export function createKvEstimateScorer(name: string, params: unknown, handle: PluginHandle): KvEstimateScorer {
  const p = readParams(name, params, PARAMS);
  const d = DEFAULT_KV_ESTIMATE_CONFIG;
  return new KvEstimateScorer(
    name,
    {
      pendingTokenWeight: numberParam(name, p, 'pendingTokenWeight', d.pendingTokenWeight, 0, 1e6),
      capacityTokens: intParam(name, p, 'capacityTokens', d.capacityTokens, 0, 1 << 30),
    },
    handle.clock,
    handle.metricsStalenessMs,
  );
}
