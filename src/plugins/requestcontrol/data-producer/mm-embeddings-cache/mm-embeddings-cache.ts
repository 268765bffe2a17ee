/**
 * mm-embeddings-cache-producer (DataProducer, PreRequest; upstream requestcontrol/dataproducer/multimodal):
 * remembers, per endpoint, the multimodal items (image, video, audio hashes) recently routed there, in an LRU
 * bounded by `cacheSizeInMBPerServer` / 2 MiB entries. Each cycle it publishes, under
 * `mm-encoder-cache-match-info/<name>` in LLMRequest.data, the request's unique items and how many of them
 * each candidate likely holds in its encoder cache; PreRequest then adds the items to every target of the
 * primary profile. Read by mm-embeddings-cache-scorer. Items come from mm-items.ts.
 */
import {
  dataKey,
  ENCODER_CACHE_MATCH_INFO_KEY,
  MM_EMBEDDINGS_CACHE_PRODUCER_TYPE,
  requestData,
  type EncoderCacheMatchInfo,
  type MatchItem,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { DataProducer, PreRequest } from '../../../../framework/requestcontrol.ts';
import type { SchedulingResult } from '../../../../framework/scheduling.ts';
import { intParam, readParams } from '../../../../input/plugin-params.ts';
import { extractMMItems } from './mm-items.ts';

export { MM_EMBEDDINGS_CACHE_PRODUCER_TYPE };

/** 4 GiB (upstream defaultCacheSizeInMB). */
export const DEFAULT_CACHE_SIZE_MB = 4096;
/** Assumed encoder-cache footprint of one item (upstream bytesPerImage, 2 MiB). */
const MB_PER_ITEM = 2;
/** upstream encoder_cache_hit_ratio buckets. */
export const HIT_RATIO_BUCKETS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** LRU entries per endpoint for a MiB budget (upstream lruCapacityFromCacheSizeMB): <= 0 takes the default. */
export function lruCapacityFromCacheSizeMB(mb: number): number {
  const n = Math.floor((mb <= 0 ? DEFAULT_CACHE_SIZE_MB : mb) / MB_PER_ITEM);
  return n < 1 ? 1 : n;
}

/** Item hashes of one endpoint, least recently added first (a Map keeps insertion order). */
class HashLru {
  readonly #entries = new Map<string, true>();
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  get size(): number {
    return this.#entries.size;
  }
  /** Without touching recency, as upstream's Contains. */
  has(hash: string): boolean {
    return this.#entries.has(hash);
  }
  add(hash: string): void {
    this.#entries.delete(hash);
    this.#entries.set(hash, true);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }
}

/** The request's match, computed in produce (the caches change only in PreRequest, after scoring). */
class MatchInfo implements EncoderCacheMatchInfo {
  readonly request: LLMRequest;
  readonly requestItems: readonly MatchItem[];
  readonly #matched = new Map<Endpoint, number>();
  constructor(request: LLMRequest, items: readonly MatchItem[]) {
    this.request = request;
    this.requestItems = items;
  }
  set(endpoint: Endpoint, size: number): void {
    if (size > 0) this.#matched.set(endpoint, size);
  }
  matchedSize(endpoint: Endpoint): number {
    return this.#matched.get(endpoint) ?? 0;
  }
}

/** What upstream's three encoder-cache metrics count, for the metrics endpoint to render. */
export interface EncoderCacheStats {
  /** modality -> item lookups (encoder_cache_queries_total). */
  readonly queries: ReadonlyMap<string, number>;
  /** endpoint key -> modality -> lookups it held (encoder_cache_hits_total). */
  readonly hits: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** encoder_cache_hit_ratio: observations per HIT_RATIO_BUCKETS bucket (not cumulative; last = +Inf). */
  readonly ratioCounts: Float64Array;
  ratioSum: number;
  ratioCount: number;
}

export class MmEmbeddingsCacheProducer implements DataProducer, PreRequest {
  readonly type = MM_EMBEDDINGS_CACHE_PRODUCER_TYPE;
  readonly name: string;
  readonly capacity: number;
  /** LLMRequest.data key of the EncoderCacheMatchInfo. */
  readonly infoKey: string;
  readonly produces: readonly string[];
  /** Endpoint key -> its items; endpoints enter on their first PreRequest and leave with removeEndpoint. */
  readonly #caches = new Map<string, HashLru>();
  readonly stats: EncoderCacheStats = {
    queries: new Map(),
    hits: new Map(),
    ratioCounts: new Float64Array(HIT_RATIO_BUCKETS.length + 1),
    ratioSum: 0,
    ratioCount: 0,
  };

  constructor(name: string, capacity: number) {
    this.name = name;
    this.capacity = capacity;
    this.infoKey = dataKey(ENCODER_CACHE_MATCH_INFO_KEY, name);
    this.produces = [this.infoKey];
  }

  produce(request: LLMRequest, candidates: readonly Endpoint[]): void {
    const items = extractMMItems(request);
    if (items.length === 0) return; // upstream publishes nothing: every candidate then scores 0
    this.#recordLookups(items);
    const info = new MatchInfo(request, items);
    for (const ep of candidates) {
      const matched = this.#matchedSize(ep.key, items);
      info.set(ep, matched);
      this.#recordRatio(matched / items.length);
    }
    request.data.set(this.infoKey, info);
  }

  /** Records the request's items on every target of the primary profile (upstream: TargetEndpoints). */
  preRequest(request: LLMRequest, result: SchedulingResult): void {
    const info = requestData<MatchInfo>(request, this.infoKey);
    if (info === null) return;
    request.data.delete(this.infoKey); // once per request, as upstream deletes its plugin state
    const primary = result.primary;
    for (let i = 0; i < primary.count; i++) {
      const key = primary.endpoints[i]!.key;
      let lru = this.#caches.get(key);
      if (lru === undefined) this.#caches.set(key, (lru = new HashLru(this.capacity)));
      for (const item of info.requestItems) lru.add(item.hash);
    }
  }

  /** What the encoder-cache metrics render (the runner finds producers by this method). */
  encoderCacheCounts(): EncoderCacheStats {
    return this.stats;
  }

  removeEndpoint(key: string): void {
    this.#caches.delete(key);
  }

  /** Items remembered for the endpoint (tests, debugging). */
  cachedHashes(key: string): string[] {
    const lru = this.#caches.get(key);
    return lru === undefined ? [] : [...lru.keys()];
  }

  /** Item hashes tracked, over every endpoint. */
  trackedItems(): number {
    let n = 0;
    for (const lru of this.#caches.values()) n += lru.size;
    return n;
  }

  #matchedSize(key: string, items: readonly MatchItem[]): number {
    const lru = this.#caches.get(key);
    if (lru === undefined) return 0;
    let size = 0;
    for (const item of items) if (lru.has(item.hash)) size += item.size;
    return size;
  }

  /** upstream recordItemLookups: one query per item, one hit per endpoint holding it. */
  #recordLookups(items: readonly MatchItem[]): void {
    const s = this.stats;
    const queries = s.queries as Map<string, number>;
    const hits = s.hits as Map<string, Map<string, number>>;
    for (const item of items) {
      queries.set(item.modality, (queries.get(item.modality) ?? 0) + 1);
      for (const [key, lru] of this.#caches) {
        if (!lru.has(item.hash)) continue;
        let byModality = hits.get(key);
        if (byModality === undefined) hits.set(key, (byModality = new Map()));
        byModality.set(item.modality, (byModality.get(item.modality) ?? 0) + 1);
      }
    }
  }

  #recordRatio(ratio: number): void {
    const s = this.stats;
    let i = 0;
    while (i < HIT_RATIO_BUCKETS.length && ratio > HIT_RATIO_BUCKETS[i]!) i++;
    s.ratioCounts[i]!++;
    s.ratioSum += ratio;
    s.ratioCount++;
  }
}

/** `cacheSizeInMBPerServer`: an integer; <= 0 or absent takes the 4096 MiB default (upstream). */
export function createMmEmbeddingsCacheProducer(name: string, params: unknown, _handle: PluginHandle): MmEmbeddingsCacheProducer {
  const p = readParams(name, params, ['cacheSizeInMBPerServer']);
  const mb = intParam(name, p, 'cacheSizeInMBPerServer', 0, Number.MIN_SAFE_INTEGER);
  return new MmEmbeddingsCacheProducer(name, lruCapacityFromCacheSizeMB(mb));
}
