/**
 * mm-embeddings-cache-scorer (Affinity; upstream scheduling/scorer/mmcacheaffinity): scores each candidate by
 * the share of the request's multimodal items it likely holds in its encoder cache, from the match an
 * mm-embeddings-cache-producer published:
 *   score = matched item size / total request item size
 * No match info for the request (no multimodal content, or no producer ran) or a zero total scores 0.
 */
import {
  dataKey,
  ENCODER_CACHE_MATCH_INFO_KEY,
  MM_EMBEDDINGS_CACHE_PRODUCER_TYPE,
  requestData,
  type EncoderCacheMatchInfo,
} from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { DataDependencies, PluginHandle } from '../../../../framework/plugin.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import type { Scorer } from '../../../../framework/scheduling.ts';
import { readParams, stringParam } from '../../../../input/plugin-params.ts';

export const MM_EMBEDDINGS_CACHE_SCORER_TYPE = 'mm-embeddings-cache-scorer';

export class MmEmbeddingsCacheScorer implements Scorer {
  readonly type = MM_EMBEDDINGS_CACHE_SCORER_TYPE;
  readonly category = 'Affinity';
  readonly name: string;
  readonly consumes: DataDependencies;
  readonly #key: string;

  /** producerName '' reads the default producer's key (upstream WithNonEmptyProducerName). */
  constructor(name: string, producerName: string) {
    this.name = name;
    this.#key = dataKey(ENCODER_CACHE_MATCH_INFO_KEY, producerName || MM_EMBEDDINGS_CACHE_PRODUCER_TYPE);
    this.consumes = { required: [this.#key] };
  }

  score(request: LLMRequest, candidates: readonly Endpoint[], n: number, out: Float64Array): void {
    const info = requestData<EncoderCacheMatchInfo>(request, this.#key);
    let total = 0;
    if (info !== null) for (const item of info.requestItems) total += item.size;
    if (info === null || total <= 0) {
      for (let i = 0; i < n; i++) out[i] = 0;
      return;
    }
    for (let i = 0; i < n; i++) out[i] = info.matchedSize(candidates[i]!) / total;
  }
}

/** `producerName` (optional): the producer instance whose match is read. */
export function createMmEmbeddingsCacheScorer(name: string, params: unknown, _handle: PluginHandle): MmEmbeddingsCacheScorer {
  const p = readParams(name, params, ['producerName']);
  return new MmEmbeddingsCacheScorer(name, stringParam(name, p, 'producerName', ''));
}
