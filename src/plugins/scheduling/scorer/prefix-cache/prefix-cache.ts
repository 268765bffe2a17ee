/**
 * prefix-cache-scorer (Affinity): scores each candidate by the prefix-cache match an
 * approx-prefix-cache-producer published for the request (upstream scheduling/scorer/prefix):
 *   score = w * min(1, matchBlocks * blockSizeTokens / matchLengthScaleTokens)^2 + (1 - w) * matchBlocks / totalBlocks
 * with w = matchLengthWeight (0 by default: the match ratio alone). No match info for the request scores 0.
 *
 * Configs written before the split put the producer's parameters (blockSizeTokens, lruCapacityPerServer, ...)
 * on this scorer: then it keeps its own producer (same parameters, this scorer's name) and runs its hooks
 * itself, so such a config behaves as one with an explicit producer.
 */
import type { SyncedState } from '../../../../framework/synced-state.ts';
import {
  APPROX_PREFIX_CACHE_PRODUCER_TYPE,
  dataKey,
  PREFIX_CACHE_MATCH_INFO_KEY,
  requestData,
  type PrefixCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult, Scorer } from '../../../../framework/scheduling.ts';
import { numberParam, readParams, intParam } from '../../../../input/plugin-params.ts';
import {
  APPROX_PREFIX_CACHE_PARAMS,
  ApproxPrefixCacheProducer,
  readApproxPrefixCacheConfig,
} from '../../../requestcontrol/data-producer/approx-prefix-cache/approx-prefix-cache.ts';
import type { PrefixHitStats } from '../../../requestcontrol/data-producer/approx-prefix-cache/hit-stats.ts';

export const PREFIX_CACHE_SCORER_TYPE = 'prefix-cache-scorer';

export interface PrefixCacheScorerConfig {
  /** Producer whose match info is read; '' = approx-prefix-cache-producer. */
  readonly prefixMatchInfoProducerName: string;
  readonly matchLengthWeight: number;
  readonly matchLengthScaleTokens: number;
}

export const DEFAULT_PREFIX_CACHE_SCORER_CONFIG: PrefixCacheScorerConfig = {
  prefixMatchInfoProducerName: '',
  matchLengthWeight: 0,
  matchLengthScaleTokens: 8192,
};

const NO_KEYS: readonly string[] = [];

export class PrefixCacheScorer implements Scorer, DataProducer, PreRequest {
  readonly type = PREFIX_CACHE_SCORER_TYPE;
  readonly category = 'Affinity';
  readonly name: string;
  readonly config: PrefixCacheScorerConfig;
  readonly produces: readonly string[];
  readonly consumes: DataDependencies;
  /** The producer this scorer runs itself (parameters on the scorer), else null. */
  readonly ownProducer: ApproxPrefixCacheProducer | null;
  readonly #key: string;

  constructor(name: string, config: PrefixCacheScorerConfig, ownProducer: ApproxPrefixCacheProducer | null = null) {
    this.name = name;
    this.config = config;
    this.ownProducer = ownProducer;
    if (ownProducer !== null) {
      this.#key = ownProducer.infoKey;
      this.produces = ownProducer.produces;
      this.consumes = {};
    } else {
      this.#key = dataKey(PREFIX_CACHE_MATCH_INFO_KEY, config.prefixMatchInfoProducerName || APPROX_PREFIX_CACHE_PRODUCER_TYPE);
      this.produces = NO_KEYS;
      this.consumes = { required: [this.#key] };
    }
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    let info = requestData<PrefixCacheMatchInfo>(request, this.#key);
    // Own producer not run for this request (a scheduler driven without the director): produce now.
    if (info === null && this.ownProducer !== null && n > 0) info = this.ownProducer.produceFor(request, candidates, n);
    const total = info === null ? 0 : info.totalBlocks;
    if (info === null || total === 0) {
      for (let i = 0; i < n; i++) out[i] = 0;
      return;
    }
    const w = this.config.matchLengthWeight;
    if (w === 0) {
      for (let i = 0; i < n; i++) out[i] = info.matchBlocks(candidates[i]!) / total;
      return;
    }
    const perBlock = info.blockSizeTokens / this.config.matchLengthScaleTokens;
    for (let i = 0; i < n; i++) {
      const m = info.matchBlocks(candidates[i]!);
      const len = m * perBlock < 1 ? m * perBlock : 1;
      out[i] = w * len * len + (1 - w) * (m / total);
    }
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    this.ownProducer?.produce(request, candidates);
  }

  preRequest(request: LLMRequest, result: SchedulingResult): void {
    this.ownProducer?.preRequest(request, result);
  }

  removeEndpoint(key: string): void {
    this.ownProducer?.removeEndpoint(key);
  }

  /** The own producer's index as cross-replica state (null when an explicit producer owns the index). */
  syncedState(): SyncedState | null {
    return this.ownProducer === null ? null : this.ownProducer.syncedState();
  }

  indexEntries(): number {
    return this.ownProducer === null ? 0 : this.ownProducer.indexEntries();
  }

  /** The own producer's hit counts (null when an explicit producer does the lookups and reports them). */
  prefixHitStats(): PrefixHitStats | null {
    return this.ownProducer === null ? null : this.ownProducer.prefixHitStats();
  }

  indexBytes(): number {
    return this.ownProducer === null ? 0 : this.ownProducer.indexBytes();
  }
}

const SCORER_PARAMS = ['prefixMatchInfoProducerName', 'matchLengthWeight', 'matchLengthScaleTokens'] as const;
const PARAMS = [...SCORER_PARAMS, ...APPROX_PREFIX_CACHE_PARAMS];
/**
 * llm-d-inference-scheduler v0.3-v0.5 sample configs (sim-epp-kvcache-config.yaml) give this scorer
 * `mode: cache_tracking` and the precise index's sections. That scorer was GIE's, whose factory ignored unknown
 * fields, so upstream loaded them and scored approximately; so do we, saying so (precise routing is
 * precise-prefix-cache-producer, or the deprecated precise-prefix-cache-scorer).
 */
export const IGNORED_LEGACY_PARAMS = ['mode', 'kvCacheRedisAddr', 'indexerConfig', 'kvEventsConfig', 'tokenProcessorConfig'] as const;

function withoutIgnoredLegacy(name: string, params: unknown, handle: PluginHandle): unknown {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return params;
  const present = IGNORED_LEGACY_PARAMS.filter((k) => k in params);
  if (present.length === 0) return params;
  handle.logger.warn(
    { plugin: name, ignored: present },
    'prefix-cache-scorer: parameters of llm-d v0.3-v0.5 sample configs are ignored, as upstream ignored them (approximate scoring); for KV-event routing configure precise-prefix-cache-producer',
  );
  const copy: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const k of present) delete copy[k];
  return copy;
}

export function createPrefixCacheScorer(name: string, params: unknown, handle: PluginHandle): PrefixCacheScorer {
  const p = readParams(name, withoutIgnoredLegacy(name, params, handle), PARAMS);
  const d = DEFAULT_PREFIX_CACHE_SCORER_CONFIG;
  const producerName = p['prefixMatchInfoProducerName'];
  if (producerName !== undefined && typeof producerName !== 'string') {
    throw new PluginConfigError(name, 'prefixMatchInfoProducerName', 'must be a string');
  }
  const matchLengthWeight = numberParam(name, p, 'matchLengthWeight', d.matchLengthWeight, 0, 1);
  // Upstream checks the scale only when the length term is used.
  const matchLengthScaleTokens = intParam(name, p, 'matchLengthScaleTokens', d.matchLengthScaleTokens, matchLengthWeight > 0 ? 1 : Number.MIN_SAFE_INTEGER);
  const config = { prefixMatchInfoProducerName: producerName ?? '', matchLengthWeight, matchLengthScaleTokens };
  const legacy = APPROX_PREFIX_CACHE_PARAMS.find((k) => p[k] !== undefined);
  if (legacy === undefined) return new PrefixCacheScorer(name, config);
  if (producerName) {
    throw new PluginConfigError(name, legacy, `a producer parameter; set it on the producer "${producerName}" instead`);
  }
  return new PrefixCacheScorer(name, config, new ApproxPrefixCacheProducer(name, readApproxPrefixCacheConfig(name, p), handle.endpoints));
}
