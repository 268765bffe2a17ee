/**
 * mm-embeddings-cache-producer. Cases follow upstream llm-d-router
 * pkg/epp/framework/plugins/requestcontrol/dataproducer/multimodal/producer_test.go and metrics_test.go at
 * ebab68792 (TestLRUCapacityFromCacheSizeMB, TestFactory, TestExtractMMItemsFromTokenizedRequest,
 * TestProduceMatchesMultiplePodsAndPreRequestUpdatesPlacement, TestLRUEviction, TestExtractEndpointRemovesDeletedPod,
 * TestRecordItemLookupsMetrics, TestRecordHitRatioMetrics), plus the chat content blocks that upstream's estimate
 * tokenizer turns into features (tokenizer/estimate.go appendChatMessage).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataKey, ENCODER_CACHE_MATCH_INFO_KEY, MULTIMODAL_FEATURES_KEY, requestData, type EncoderCacheMatchInfo, type MultiModalFeatures } from '../../../../framework/data-keys.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { PluginConfigError } from '../../../../framework/plugin.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { ENCODER_CACHE_HIT_RATIO_BUCKETS } from '../../../../observability/encoder-cache-metrics.ts';
import { createMmEmbeddingsCacheProducer, HIT_RATIO_BUCKETS, lruCapacityFromCacheSizeMB, type MmEmbeddingsCacheProducer } from './mm-embeddings-cache.ts';
import { chatMediaItems, contentHash, extractMMItems } from './mm-items.ts';

const KEY = dataKey(ENCODER_CACHE_MATCH_INFO_KEY, 'mm-embeddings-cache-producer');

/** A request whose parser published these image hashes (upstream requestWithHashes). */
function withHashes(...hashes: string[]): LLMRequest {
  const req = makeRequest();
  const f: MultiModalFeatures = { request: req, items: hashes.map((hash) => ({ modality: 'image', hash })) };
  req.data.set(MULTIMODAL_FEATURES_KEY, f);
  return req;
}

function producer(params?: unknown): MmEmbeddingsCacheProducer {
  return createMmEmbeddingsCacheProducer('mm-embeddings-cache-producer', params, testHandle());
}

test('lruCapacityFromCacheSizeMB: MiB / 2 MiB per item, <= 0 takes the 4096 MiB default', () => {
  assert.equal(lruCapacityFromCacheSizeMB(4), 2);
  assert.equal(lruCapacityFromCacheSizeMB(2048), 1024);
  assert.equal(lruCapacityFromCacheSizeMB(0), 2048);
  assert.equal(lruCapacityFromCacheSizeMB(-5), 2048);
  assert.equal(lruCapacityFromCacheSizeMB(1), 1);
});

test('factory: cacheSizeInMBPerServer read; a non-integer or an unknown parameter (the sample\'s cacheSizeInMB) is rejected', () => {
  assert.equal(producer({ cacheSizeInMBPerServer: 4 }).capacity, 2);
  assert.equal(producer().capacity, 2048);
  assert.throws(() => producer({ cacheSizeInMBPerServer: 'bad' }), PluginConfigError);
  assert.throws(() => producer({ cacheSizeInMB: 2048 }), /cacheSizeInMB: unknown parameter/);
});

test('items: parser features deduplicated by hash, size 1 each (TestExtractMMItemsFromTokenizedRequest)', () => {
  const items = extractMMItems(withHashes('image-a', 'image-b', 'image-a', ''));
  assert.deepEqual([...items].sort((a, b) => a.hash.localeCompare(b.hash)), [
    { hash: 'image-a', size: 1, modality: 'image' },
    { hash: 'image-b', size: 1, modality: 'image' },
  ]);
  assert.equal(extractMMItems(makeRequest()).length, 0);
});

const chat = (content: unknown[]): string => JSON.stringify([{ role: 'system', content: 'be brief' }, { role: 'user', content }]);
const chatCases: { name: string; text: string; want: [string, string][] }[] = [
  { name: 'text only', text: chat([{ type: 'text', text: 'hi' }]), want: [] },
  { name: 'string content', text: JSON.stringify([{ role: 'user', content: 'look at "image_url"' }]), want: [] },
  {
    name: 'image, video, input_audio',
    text: chat([
      { type: 'text', text: 'what is this' },
      { type: 'image_url', image_url: { url: 'https://x/cat.png' } },
      { type: 'video_url', video_url: { url: 'https://x/clip.mp4' } },
      { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
    ]),
    want: [['image', 'https://x/cat.png'], ['video', 'https://x/clip.mp4'], ['audio', 'AAAAwav']],
  },
  {
    name: 'the same image twice counts once',
    text: chat([{ type: 'image_url', image_url: { url: 'data:image/png;base64,QQ==' } }, { type: 'image_url', image_url: { url: 'data:image/png;base64,QQ==' } }]),
    want: [['image', 'data:image/png;base64,QQ==']],
  },
  { name: 'not JSON', text: '[{"type":"image_url"', want: [] },
];
for (const c of chatCases) {
  test(`items from chat content: ${c.name}`, () => {
    const got = chatMediaItems(c.text).map((i) => [i.modality, i.hash]);
    assert.deepEqual(got, c.want.map(([m, content]) => [m, contentHash(content)]));
  });
}

test('produce matches every endpoint holding an item; preRequest records the request on the pick (TestProduceMatchesMultiplePods...)', () => {
  const p = producer();
  const [a, b, c] = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  // preRequest records only a request it produced for.
  p.preRequest(withHashes('hash-a'), scheduledOn(a));
  assert.deepEqual(p.cachedHashes(a.key), []);
  const warm = withHashes('hash-a');
  p.produce(warm, [a, b]);
  p.preRequest(warm, scheduledOn(a, b));
  assert.deepEqual(p.cachedHashes(a.key), ['hash-a']);
  assert.deepEqual(p.cachedHashes(b.key), ['hash-a']);

  const req = withHashes('hash-a', 'hash-c');
  p.produce(req, [a, b, c]);
  const info = requestData<EncoderCacheMatchInfo>(req, KEY)!;
  assert.equal(info.requestItems.length, 2);
  assert.deepEqual([a, b, c].map((e) => info.matchedSize(e)), [1, 1, 0]);

  p.preRequest(req, scheduledOn(c));
  assert.deepEqual(p.cachedHashes(c.key).sort(), ['hash-a', 'hash-c']);
  assert.deepEqual(p.cachedHashes(a.key), ['hash-a']);
});

test('a request without multimodal items publishes nothing', () => {
  const p = producer();
  const req = makeRequest({ promptText: '[{"role":"user","content":"hello"}]' });
  p.produce(req, [makeEndpoint(0)]);
  assert.equal(req.data.has(KEY), false);
  p.preRequest(req, scheduledOn(makeEndpoint(0)));
  assert.equal(p.trackedItems(), 0);
});

test('per-endpoint LRU evicts the least recently added item (TestLRUEviction)', () => {
  const p = producer({ cacheSizeInMBPerServer: 4 }); // 2 entries
  const ep = makeEndpoint(0);
  for (const h of ['hash-1', 'hash-2', 'hash-3']) {
    const req = withHashes(h);
    p.produce(req, [ep]);
    p.preRequest(req, scheduledOn(ep));
  }
  assert.deepEqual(p.cachedHashes(ep.key), ['hash-2', 'hash-3']);
});

test('removeEndpoint drops only that endpoint (TestExtractEndpointRemovesDeletedPod)', () => {
  const p = producer();
  const [a, b] = [makeEndpoint(0), makeEndpoint(1)];
  const req = withHashes('hash-a');
  p.produce(req, [a, b]);
  p.preRequest(req, scheduledOn(a, b));
  p.removeEndpoint(b.key);
  assert.deepEqual(p.cachedHashes(a.key), ['hash-a']);
  assert.deepEqual(p.cachedHashes(b.key), []);
});

test('metrics: queries per item, hits per endpoint holding it, hit ratio per candidate (TestRecordItemLookupsMetrics, TestRecordHitRatioMetrics)', () => {
  assert.deepEqual(HIT_RATIO_BUCKETS, ENCODER_CACHE_HIT_RATIO_BUCKETS); // the buckets the metric renders
  const p = producer();
  const a = makeEndpoint(0);
  const miss = withHashes('hash-1', 'hash-2');
  p.produce(miss, [a]);
  assert.equal(p.stats.queries.get('image'), 2);
  assert.equal(p.stats.hits.size, 0);
  p.preRequest(miss, scheduledOn(a));

  p.produce(withHashes('hash-1', 'hash-3'), [a, makeEndpoint(1)]);
  assert.equal(p.stats.queries.get('image'), 4);
  assert.equal(p.stats.hits.get(a.key)?.get('image'), 1);
  // Ratios observed: 0 (first request), then 0.5 on a and 0 on the other.
  assert.equal(p.stats.ratioCount, 3);
  assert.equal(p.stats.ratioSum, 0.5);
  assert.equal(p.stats.ratioCounts[0], 2); // le 0
  assert.equal(p.stats.ratioCounts[5], 1); // le 0.5
});
