/**
 * prefix-cache-affinity-filter: narrows the candidates to the "sticky" ones, whose prefix-cache match ratio
 * (the approx-prefix-cache-producer's PrefixCacheMatchInfo.matchRatio for this request) is >= affinityThreshold. No sticky candidate keeps all;
 * with probability explorationProbability the gate is skipped; a TTFT load gate keeps all when the best sticky
 * endpoint's TTFT exceeds the best non-sticky one's by more than maxTTFTPenaltyMs (upstream
 * `filter/prefixcacheaffinity/plugin.go`).
 *
 * TTFT sources, as upstream: in-flight tokens from an inflight-load-producer (the loader adds one when none is
 * configured) over peakPrefillThroughput, or the TTFT a latency predictor publishes (no such producer exists
 * here yet: a config asking for it fails to load naming the missing data, as upstream's does).
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  endpointData,
  INFLIGHT_LOAD_KEY,
  INFLIGHT_LOAD_PRODUCER_TYPE,
  PREFIX_CACHE_MATCH_INFO_KEY,
  requestData,
  type InflightLoad,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import { PluginConfigError, type DataDependencies, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { optEnum, optString } from '../../../../input/fields.ts';
import { numberParam, read, readParams } from '../../../../input/plugin-params.ts';
import { pickerRandom } from '../../picker/picker-random.ts';

export const PREFIX_CACHE_AFFINITY_FILTER_TYPE = 'prefix-cache-affinity-filter';

/** Upstream's latency prediction data (LatencyPredictionInfoDataKey) and its producer; none is implemented here. */
const LATENCY_PREDICTION_INFO_KEY = 'latency-prediction-info';
const LATENCY_PREDICTION_PRODUCER = 'predicted-latency-producer';

export type TtftSource = 'prefillThroughput' | 'latencyPredictor';
const TTFT_SOURCES: readonly TtftSource[] = ['prefillThroughput', 'latencyPredictor'];

export interface PrefixCacheAffinityConfig {
  readonly affinityThreshold: number;
  readonly explorationProbability: number;
  readonly maxTTFTPenaltyMs: number;
  readonly ttftSource: TtftSource;
  readonly peakPrefillThroughput: number;
}

export const DEFAULT_PREFIX_CACHE_AFFINITY_CONFIG: PrefixCacheAffinityConfig = {
  affinityThreshold: 0.8,
  explorationProbability: 0,
  maxTTFTPenaltyMs: 18000,
  ttftSource: 'prefillThroughput',
  // Calibrated upstream for Qwen 32B on 2x H100 80GB (TP=2), vLLM 0.19.
  peakPrefillThroughput: 15928,
};

export class PrefixCacheAffinityFilter implements Filter {
  readonly type = PREFIX_CACHE_AFFINITY_FILTER_TYPE;
  readonly name: string;
  readonly config: PrefixCacheAffinityConfig;
  /**
   * The producer's match info, and the TTFT gate's input when the gate is on, required as upstream: the loader
   * adds an approx-prefix-cache-producer and an inflight-load-producer when none is configured.
   */
  readonly consumes: DataDependencies;
  readonly #key: string;
  readonly #loadKey: string;
  readonly #tokensToMs: number;
  /** Draws in [0,1) for the exploration skip; tests replace it. */
  random: () => number = () => pickerRandom.next();

  constructor(
    name: string,
    config: PrefixCacheAffinityConfig,
    producerName = APPROX_PREFIX_CACHE_PRODUCER_TYPE,
    loadProducerName = INFLIGHT_LOAD_PRODUCER_TYPE,
    latencyProducerName = LATENCY_PREDICTION_PRODUCER,
  ) {
    this.name = name;
    this.config = config;
    this.#key = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, producerName);
    this.#loadKey = dataKey(INFLIGHT_LOAD_KEY, loadProducerName);
    this.#tokensToMs = config.peakPrefillThroughput > 0 ? 1000 / config.peakPrefillThroughput : 0;
    const required = [this.#key];
    if (config.maxTTFTPenaltyMs > 0) {
      required.push(config.ttftSource === 'latencyPredictor' ? dataKey(LATENCY_PREDICTION_INFO_KEY, latencyProducerName) : this.#loadKey);
    }
    this.consumes = { required };
  }

  filter(request: LLMRequest, candidates: Endpoint[], n: number): number {
    const { affinityThreshold, explorationProbability, maxTTFTPenaltyMs } = this.config;
    if (n <= 1 || affinityThreshold <= 0) return n;
    if (this.random() < explorationProbability) return n;
    const info = requestData<PrefixCacheMatchInfo>(request, this.#key);
    if (info === null || info.totalBlocks <= 0) return n; // every score 0: nothing is sticky
    let sticky = 0;
    let bestSticky = Infinity;
    let bestNonSticky = Infinity;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (info.matchRatio(ep) >= affinityThreshold) {
        sticky++;
        bestSticky = Math.min(bestSticky, this.#ttftMs(ep));
      } else {
        bestNonSticky = Math.min(bestNonSticky, this.#ttftMs(ep));
      }
    }
    if (sticky === 0) return n;
    if (maxTTFTPenaltyMs > 0 && sticky < n && bestSticky - bestNonSticky > maxTTFTPenaltyMs) return n;
    // Compact the sticky ones to the front, in order.
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[i]!;
      if (info.matchRatio(ep) >= affinityThreshold) candidates[kept++] = ep;
    }
    return kept;
  }

  /**
   * Upstream: inFlightTokens / peakPrefillThroughput * 1000 (an endpoint without the attribute: 0 ms), or the
   * predicted TTFT (none here: Number.MAX_VALUE, as upstream reads an endpoint without a prediction).
   */
  #ttftMs(ep: Endpoint): number {
    if (this.config.ttftSource === 'latencyPredictor') return Number.MAX_VALUE;
    const load = endpointData<InflightLoad>(ep, this.#loadKey);
    return load === undefined ? 0 : load.tokens * this.#tokensToMs;
  }
}

export function createPrefixCacheAffinityFilter(name: string, params: unknown, _handle: PluginHandle): PrefixCacheAffinityFilter {
  const d = DEFAULT_PREFIX_CACHE_AFFINITY_CONFIG;
  const p = readParams(name, params, [
    'affinityThreshold',
    'explorationProbability',
    'maxTTFTPenaltyMs',
    'ttftSource',
    'peakPrefillThroughput',
    'prefixMatchInfoProducerName',
    'latencyPredictionInfoProducerName',
    'inFlightLoadProducerName',
  ]);
  const affinityThreshold = numberParam(name, p, 'affinityThreshold', d.affinityThreshold, -Infinity);
  if (affinityThreshold > 1) throw new PluginConfigError(name, 'affinityThreshold', `affinityThreshold must be <= 1.0, got ${affinityThreshold}`);
  const explorationProbability = read(name, () => {
    const v = p.explorationProbability;
    if (typeof v === 'number' && (v < 0 || v > 1)) throw new PluginConfigError(name, 'explorationProbability', `explorationProbability must be in [0, 1], got ${v}`);
    return numberParam(name, p, 'explorationProbability', d.explorationProbability, 0, 1);
  });
  const maxTTFTPenaltyMs = numberParam(name, p, 'maxTTFTPenaltyMs', d.maxTTFTPenaltyMs, 0);
  const peakPrefillThroughput = numberParam(name, p, 'peakPrefillThroughput', d.peakPrefillThroughput, 0);
  const ttftSource = read(name, () => {
    if (p.ttftSource === '') throw new PluginConfigError(name, 'ttftSource', `ttftSource must be "latencyPredictor" or "prefillThroughput", got ""`);
    return optEnum(p, 'ttftSource', '', TTFT_SOURCES);
  }) ?? d.ttftSource;
  if (ttftSource === 'prefillThroughput' && maxTTFTPenaltyMs > 0 && peakPrefillThroughput === 0) {
    throw new PluginConfigError(name, 'peakPrefillThroughput', 'peakPrefillThroughput must be > 0 when ttftSource is prefillThroughput');
  }
  // Producer-name qualifiers of upstream data keys: which producer's data each input is read from.
  const producer = (key: string, def: string) => read(name, () => optString(p, key, '', Infinity, 0)) || def;
  return new PrefixCacheAffinityFilter(
    name,
    { affinityThreshold, explorationProbability, maxTTFTPenaltyMs, ttftSource, peakPrefillThroughput },
    producer('prefixMatchInfoProducerName', APPROX_PREFIX_CACHE_PRODUCER_TYPE),
    producer('inFlightLoadProducerName', INFLIGHT_LOAD_PRODUCER_TYPE),
    producer('latencyPredictionInfoProducerName', LATENCY_PREDICTION_PRODUCER),
  );
}
