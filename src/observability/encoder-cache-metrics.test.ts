/** The encoder-cache families render what a producer counted (names, labels and buckets as upstream metrics.go). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { registerEncoderCacheMetrics, type EncoderCacheCounts } from './encoder-cache-metrics.ts';

test('encoder cache metrics: queries, hits by pod and the hit-ratio histogram, re-read at each scrape', async () => {
  const ratioCounts = new Float64Array(12);
  const counts: { -readonly [K in keyof EncoderCacheCounts]: EncoderCacheCounts[K] } = {
    queries: new Map([['image', 4]]),
    hits: new Map([['10.0.0.1:8000', new Map([['image', 1]])]]),
    ratioCounts,
    ratioSum: 0.5,
    ratioCount: 3,
  };
  ratioCounts[0] = 2;
  ratioCounts[5] = 1;
  const registry = new client.Registry();
  registerEncoderCacheMetrics(registry, () => [['mm-embeddings-cache-producer', 'mm', counts]]);
  let text = await registry.metrics();
  assert.match(text, /llm_d_epp_encoder_cache_queries_total\{plugin_type="mm-embeddings-cache-producer",plugin_name="mm",modality="image"\} 4/);
  assert.match(text, /llm_d_epp_encoder_cache_hits_total\{plugin_type="mm-embeddings-cache-producer",plugin_name="mm",pod="10.0.0.1:8000",modality="image"\} 1/);
  assert.match(text, /llm_d_epp_encoder_cache_hit_ratio_bucket\{le="0",plugin_type="mm-embeddings-cache-producer",plugin_name="mm"\} 2/);
  assert.match(text, /llm_d_epp_encoder_cache_hit_ratio_bucket\{le="0.5",plugin_type="mm-embeddings-cache-producer",plugin_name="mm"\} 3/);
  assert.match(text, /llm_d_epp_encoder_cache_hit_ratio_count\{plugin_type="mm-embeddings-cache-producer",plugin_name="mm"\} 3/);
  assert.match(text, /# HELP llm_d_epp_encoder_cache_queries_total \[ALPHA\] /);
  (counts.queries as Map<string, number>).set('image', 5);
  text = await registry.metrics();
  assert.match(text, /modality="image"\} 5/);
});
