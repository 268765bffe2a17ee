/**
 * Prototype scorers for the fast simulation only: not registered in the picker, so e2e mode refuses them.
 * Both attack herding (every request of one scrape interval seeing the same metrics); bench/README.md
 * "Tuning" gives the numbers.
 */
import type { Endpoint } from '../../../src/datastore/endpoint.ts';
import type { Plugin, PluginHandle } from '../../../src/framework/plugin.ts';
import type { LLMRequest } from '../../../src/framework/request.ts';
import type { PreRequest, Scorer } from '../../../src/framework/scheduling.ts';
import type { PluginRegistry } from '../../../src/scheduling/plugin-registry.ts';

export const INFLIGHT_SCORER_TYPE = 'inflight-requests-scorer';

/**
 * inflight-requests-scorer (Distribution): min-max over the candidates of Endpoint.inflightRequests, the
 * picker's own count of requests it routed there that have not finished: (max - x) / (max - min), all equal
 * -> 1. Never stale, but blind to request size.
 */
export class InflightRequestsScorer implements Scorer {
  readonly type = INFLIGHT_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = (candidates[i] as Endpoint).inflightRequests;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const range = max - min;
    for (let i = 0; i < n; i++) out[i] = range === 0 ? 1 : (max - (candidates[i] as Endpoint).inflightRequests) / range;
  }
}


export const KV_ESTIMATE_SCORER_TYPE = 'kv-estimate-scorer';

/**
 * kv-estimate-scorer (Distribution). 1 - estimated KV use, where the estimate is
 * the last scraped kv_cache_usage plus the prompt tokens of the requests this picker sent to the endpoint
 * since that scrape (4 characters per token), over the endpoint's KV capacity (block size x blocks). The
 * scrape is dead-reckoned forward with the picker's own dispatches, so the estimate moves with every pick.
 */
export class KvEstimateScorer implements Scorer, PreRequest {
  readonly type = KV_ESTIMATE_SCORER_TYPE;
  readonly category = 'Distribution';
  readonly name: string;
  readonly #pending = new Map<Endpoint, { scrapedAt: number; tokens: number }>();
  constructor(name: string) {
    this.name = name;
  }
  #state(ep: Endpoint): { scrapedAt: number; tokens: number } {
    let s = this.#pending.get(ep);
    if (!s) {
      s = { scrapedAt: ep.metricsUpdatedAt, tokens: 0 };
      this.#pending.set(ep, s);
    }
    if (s.scrapedAt !== ep.metricsUpdatedAt) {
      s.scrapedAt = ep.metricsUpdatedAt;
      s.tokens = 0;
    }
    return s;
  }
  score(_request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const ep = candidates[i] as Endpoint;
      const capacity = ep.cacheBlockSize * ep.cacheNumBlocks;
      const extra = capacity > 0 ? this.#state(ep).tokens / capacity : 0;
      const est = ep.kvCacheUsage + extra;
      out[i] = est >= 1 ? 0 : 1 - est;
    }
  }
  preRequest(request: LLMRequest, picked: readonly Endpoint[], count: number): void {
    if (count < 1) return;
    this.#state(picked[0] as Endpoint).tokens += Math.ceil(request.promptText.length / 4);
  }
}

export function registerExperimental(registry: PluginRegistry): void {
  registry.register(INFLIGHT_SCORER_TYPE, (name: string, _params: unknown, _handle: PluginHandle): Plugin => new InflightRequestsScorer(name));
  registry.register(KV_ESTIMATE_SCORER_TYPE, (name: string, _params: unknown, _handle: PluginHandle): Plugin => new KvEstimateScorer(name));
}
