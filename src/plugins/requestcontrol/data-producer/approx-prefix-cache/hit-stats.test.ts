/** prefix_indexer_hit_{bytes,ratio}: observed once per PreRequest with the pick's match, rendered under both names. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { makeEndpoint, makeRequest, scheduledOn, testText } from '../../../../../test/support/scheduling/testing.ts';
import { PREFIX_HIT_BYTES_BUCKETS, PREFIX_HIT_RATIO_BUCKETS, registerPrefixHitMetrics } from '../../../../observability/prefix-hit-metrics.ts';
import { ApproxPrefixCacheProducer, DEFAULT_APPROX_PREFIX_CACHE_CONFIG } from './approx-prefix-cache.ts';
import { HIT_BYTES_BUCKETS, HIT_RATIO_BUCKETS } from './hit-stats.ts';

const BLOCK_CHARS = 64; // 16-token blocks, 4 characters per token

test('a lookup matching 3 of 4 blocks: hit bytes 192 and hit ratio 0.75, under the llm-d and the GIE names', async () => {
  assert.deepEqual(HIT_BYTES_BUCKETS, PREFIX_HIT_BYTES_BUCKETS); // the buckets the metrics render
  assert.deepEqual(HIT_RATIO_BUCKETS, PREFIX_HIT_RATIO_BUCKETS);
  const p = new ApproxPrefixCacheProducer('apc', { ...DEFAULT_APPROX_PREFIX_CACHE_CONFIG, autoTune: false, blockSizeTokens: 16, minBlockSizeTokens: 16 });
  const registry = new client.Registry();
  registerPrefixHitMetrics(registry, () => [[p.name, p.type, p.prefixHitStats()]]);
  const eps = [makeEndpoint(0), makeEndpoint(1)];
  const prompt = testText(4 * BLOCK_CHARS, 7);
  const route = (promptText: string) => {
    const req = makeRequest({ promptText });
    p.produce(req, eps);
    p.preRequest(req, scheduledOn(eps[0]!));
  };
  route(prompt.slice(0, 3 * BLOCK_CHARS)); // a cold index: 0 of 3
  let text = await registry.metrics();
  assert.match(text, /^llm_d_epp_prefix_indexer_hit_ratio_bucket\{le="0",plugin_name="apc",plugin_type="approx-prefix-cache-producer"\} 1$/m);
  route(prompt); // its first 3 blocks were sent to the same endpoint
  text = await registry.metrics();
  const labels = 'plugin_name="apc",plugin_type="approx-prefix-cache-producer"';
  const sample = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  for (const [family, l] of [['llm_d_epp_prefix_indexer_hit', `,${labels}`], ['inference_extension_prefix_indexer_hit', '']] as const) {
    assert.equal(sample(`${family}_ratio_count${l ? `{${labels}}` : ''}`), 2, family);
    assert.equal(sample(`${family}_ratio_sum${l ? `{${labels}}` : ''}`), 0.75, family);
    assert.equal(sample(`${family}_ratio_bucket{le="0.7"${l}}`), 1, `${family}: 0.75 is above 0.7`);
    assert.equal(sample(`${family}_ratio_bucket{le="0.8"${l}}`), 2, `${family}: 0.75 is in le 0.8`);
    assert.equal(sample(`${family}_bytes_sum${l ? `{${labels}}` : ''}`), 3 * BLOCK_CHARS, family);
    assert.equal(sample(`${family}_bytes_bucket{le="128"${l}}`), 1, family);
    assert.equal(sample(`${family}_bytes_bucket{le="256"${l}}`), 2, family);
  }
});

test('no pick, no observation; a prompt too short to hash observes 0 bytes and no ratio', () => {
  const p = new ApproxPrefixCacheProducer('apc', { ...DEFAULT_APPROX_PREFIX_CACHE_CONFIG, autoTune: false, blockSizeTokens: 16, minBlockSizeTokens: 16 });
  const eps = [makeEndpoint(0)];
  const req = makeRequest({ promptText: 'short' });
  p.produce(req, eps);
  p.preRequest(req, { primary: { endpoints: [], count: 0 } } as unknown as Parameters<typeof p.preRequest>[1]);
  assert.equal(p.hits.bytes.count, 0);
  p.preRequest(req, scheduledOn(eps[0]!));
  assert.equal(p.hits.bytes.count, 1);
  assert.equal(p.hits.bytes.sum, 0);
  assert.equal(p.hits.ratio.count, 0);
});
