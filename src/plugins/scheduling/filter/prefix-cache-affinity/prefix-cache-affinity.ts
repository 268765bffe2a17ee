/**
 * prefix-cache-affinity-filter: narrows the candidates to the "sticky" ones, whose prefix-cache match ratio
 * (the approx-prefix-cache-producer's PrefixCacheMatchInfo.matchRatio for this request) is >= affinityThreshold. No sticky candidate keeps all;
 * with probability explorationProbability the gate is skipped; a TTFT load gate keeps all when the best sticky
 * endpoint's TTFT exceeds the best non-sticky one's by more than maxTTFTPenaltyMs (upstream
 * `filter/prefixcacheaffinity/plugin.go`).
 *
 * TTFT sources: upstream reads in-flight tokens (in-flight-load-producer) or predicted TTFT (latency predictor).
 * Neither producer exists here, so every endpoint reads as upstream reads one without the attribute (0 in-flight
 * tokens; no prediction): sticky and non-sticky TTFTs tie and the gate never breaks stickiness.
 */
import type { Endpoint } from '../../../../framework/endpoint.ts';
import { APPROX_PREFIX_CACHE_PRODUCER_TYPE, dataKey, PREFIX_CACHE_MATCH_INFO_KEY, requestData, type PrefixCacheMatchInfo } from '../../../../framework/data-keys.ts';
import { PluginConfigError, type DataDependencies, type PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Filter } from '../../../../framework/scheduling.ts';
import { optEnum, optString } from '../../../../input/fields.ts';
import { numberParam, read, readParams } from '../../../../input/plugin-params.ts';
import { pickerRandom } from '../../picker/picker-random.ts';

export const PREFIX_CACHE_AFFINITY_FILTER_TYPE = 'prefix-cache-affinity-filter';

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
  /** The producer's match info, required as upstream: the loader adds an approx-prefix-cache-producer if none is configured. */
  readonly consumes: DataDependencies;
  readonly #key: string;
  /** Draws in [0,1) for the exploration skip; tests replace it. */
  random: () => number = () => pickerRandom.next();

  constructor(name: string, config: PrefixCacheAffinityConfig, producerName = APPROX_PREFIX_CACHE_PRODUCER_TYPE) {
    this.name = name;
    this.config = config;
    this.#key = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, producerName);
    this.consumes = { required: [this.#key] };
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
   * Upstream: inFlightTokens / peakPrefillThroughput * 1000, or the predicted TTFT. With no in-flight-load or
   * latency-prediction producer here, every endpoint reads as one without the attribute (0 tokens -> 0 ms;
   * no prediction -> Number.MAX_VALUE), as upstream does.
   */
  #ttftMs(_ep: Endpoint): number {
    return this.config.ttftSource === 'latencyPredictor' ? Number.MAX_VALUE : 0;
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
  // Producer-name qualifiers of upstream data keys; the prefix one names the producer whose match info is read.
  const producerName = read(name, () => optString(p, 'prefixMatchInfoProducerName', '', Infinity, 0)) || APPROX_PREFIX_CACHE_PRODUCER_TYPE;
  for (const key of ['latencyPredictionInfoProducerName', 'inFlightLoadProducerName']) {
    read(name, () => optString(p, key, '', Infinity, 0));
  }
  return new PrefixCacheAffinityFilter(name, { affinityThreshold, explorationProbability, maxTTFTPenaltyMs, ttftSource, peakPrefillThroughput }, producerName);
}
