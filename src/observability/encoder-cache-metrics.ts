/**
 * upstream's multimodal encoder-cache metrics (dataproducer/multimodal/metrics.go), rendered from the counts
 * each mm-embeddings-cache-producer keeps: the producer counts with plain numbers on the request path, and
 * these families copy them at scrape time.
 */
import client from 'prom-client';
import { LeanHistogram } from './lean-histogram.ts';

/** What one producer counted (structural: observability imports no plugin). */
export interface EncoderCacheCounts {
  readonly queries: ReadonlyMap<string, number>;
  readonly hits: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per bucket of ENCODER_CACHE_HIT_RATIO_BUCKETS, not cumulative; the last slot is +Inf. */
  readonly ratioCounts: Float64Array;
  readonly ratioSum: number;
  readonly ratioCount: number;
}

export const ENCODER_CACHE_HIT_RATIO_BUCKETS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** `source` yields [plugin type, plugin name, counts] for every producer configured. */
export function registerEncoderCacheMetrics(registry: client.Registry, source: () => Iterable<readonly [string, string, EncoderCacheCounts]>): void {
  const registers = [registry];
  new client.Counter({
    name: 'llm_d_epp_encoder_cache_queries_total',
    help: '[ALPHA] Total number of multimodal item hash lookups made against the encoder-cache affinity LRU.',
    labelNames: ['plugin_type', 'plugin_name', 'modality'],
    registers,
    collect() {
      this.reset();
      for (const [type, name, c] of source()) for (const [modality, n] of c.queries) this.labels(type, name, modality).inc(n);
    },
  });
  new client.Counter({
    name: 'llm_d_epp_encoder_cache_hits_total',
    help: '[ALPHA] Total number of multimodal item hash lookups that found a match in the encoder-cache affinity LRU, by endpoint.',
    labelNames: ['plugin_type', 'plugin_name', 'pod', 'modality'],
    registers,
    collect() {
      this.reset();
      for (const [type, name, c] of source()) {
        for (const [pod, byModality] of c.hits) for (const [modality, n] of byModality) this.labels(type, name, pod, modality).inc(n);
      }
    },
  });
  new LeanHistogram({
    name: 'llm_d_epp_encoder_cache_hit_ratio',
    help: '[ALPHA] Ratio of matched multimodal items to total items per endpoint in an encoder-cache lookup.',
    labelNames: ['plugin_type', 'plugin_name'],
    buckets: ENCODER_CACHE_HIT_RATIO_BUCKETS,
    registers,
    collect(h) {
      for (const [type, name, c] of source()) {
        const child = h.labels(type, name);
        child.counts.set(c.ratioCounts);
        child.sum = c.ratioSum;
        child.count = c.ratioCount;
      }
    },
  });
}
