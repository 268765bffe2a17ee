/**
 * mm-embeddings-cache-scorer. Cases follow upstream llm-d-router
 * pkg/epp/framework/plugins/scheduling/scorer/mmcacheaffinity/scorer_test.go at ebab68792 (TestFactory,
 * TestScorerConsumesMatchInfo, TestScoreFromProducedMatchInfo, TestScoreMissingOrInvalidMatchInfoReturnsZero),
 * plus the scorer reading a producer's match end to end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataKey, ENCODER_CACHE_MATCH_INFO_KEY, type EncoderCacheMatchInfo, type MatchItem } from '../../../../framework/data-keys.ts';
import type { Endpoint } from '../../../../framework/endpoint.ts';
import type { LLMRequest } from '../../../../framework/request.ts';
import { scorerContract } from '../../../../../test/support/scheduling/plugin-contract.ts';
import { makeEndpoint, makeRequest, scheduledOn, testHandle } from '../../../../../test/support/scheduling/testing.ts';
import { createMmEmbeddingsCacheProducer } from '../../../requestcontrol/data-producer/mm-embeddings-cache/mm-embeddings-cache.ts';
import { createMmEmbeddingsCacheScorer, type MmEmbeddingsCacheScorer } from './mm-embeddings-cache.ts';

const DEFAULT_KEY = dataKey(ENCODER_CACHE_MATCH_INFO_KEY, 'mm-embeddings-cache-producer');
const IMAGE = '[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]';

scorerContract('mm-embeddings-cache-scorer', (h) => createMmEmbeddingsCacheScorer('mm-embeddings-cache-scorer', undefined, h));

/** Match info as a producer publishes it: matched size per endpoint key. */
function publish(req: LLMRequest, key: string, requestItems: MatchItem[], matched: Record<string, number>): void {
  const info: EncoderCacheMatchInfo = { request: req, requestItems, matchedSize: (ep) => matched[ep.key] ?? 0 };
  req.data.set(key, info);
}

function scores(s: MmEmbeddingsCacheScorer, req: LLMRequest, eps: readonly Endpoint[]): number[] {
  const out = new Float64Array(eps.length);
  s.score(req, eps, eps.length, out);
  return [...out];
}

test('factory: type, name, Affinity, consumes the default producer\'s key (TestFactory, TestScorerConsumesMatchInfo)', () => {
  const s = createMmEmbeddingsCacheScorer('mm-scorer', undefined, testHandle());
  assert.equal(s.type, 'mm-embeddings-cache-scorer');
  assert.equal(s.name, 'mm-scorer');
  assert.equal(s.category, 'Affinity');
  assert.deepEqual(s.consumes.required, [DEFAULT_KEY]);
  const named = createMmEmbeddingsCacheScorer('s', { producerName: 'mm2' }, testHandle());
  assert.deepEqual(named.consumes.required, [dataKey(ENCODER_CACHE_MATCH_INFO_KEY, 'mm2')]);
  assert.throws(() => createMmEmbeddingsCacheScorer('s', { producerName: 3 }, testHandle()), /producerName/);
  assert.throws(() => createMmEmbeddingsCacheScorer('s', { weight: 3 }, testHandle()), /unknown parameter/);
});

const cases: { name: string; items: MatchItem[]; matched: number[]; want: number[] }[] = [
  {
    name: 'matched size over total size (TestScoreFromProducedMatchInfo)',
    items: [{ hash: 'image', size: 80, modality: 'image' }, { hash: 'icon', size: 20, modality: 'image' }],
    matched: [80, 20, 0],
    want: [0.8, 0.2, 0],
  },
  { name: 'zero total scores 0 (TestScoreMissingOrInvalidMatchInfoReturnsZero)', items: [], matched: [1, 0], want: [0, 0] },
];
for (const c of cases) {
  test(`mm-embeddings-cache-scorer: ${c.name}`, () => {
    const s = createMmEmbeddingsCacheScorer('s', undefined, testHandle());
    const eps = c.matched.map((_, i) => makeEndpoint(i));
    const req = makeRequest();
    publish(req, DEFAULT_KEY, c.items, Object.fromEntries(eps.map((e, i) => [e.key, c.matched[i]!])));
    assert.deepEqual(scores(s, req, eps), c.want);
  });
}

test('missing match info, or info of another request, scores 0', () => {
  const s = createMmEmbeddingsCacheScorer('s', undefined, testHandle());
  const eps = [makeEndpoint(0)];
  const req = makeRequest();
  assert.deepEqual(scores(s, req, eps), [0]);
  publish(makeRequest(), DEFAULT_KEY, [{ hash: 'h', size: 1, modality: 'image' }], { [eps[0]!.key]: 1 });
  assert.deepEqual(scores(s, req, eps), [0]);
});

test('with the producer: the endpoint that served an image scores 1 for it, the others 0', () => {
  const p = createMmEmbeddingsCacheProducer('mm-embeddings-cache-producer', undefined, testHandle());
  const s = createMmEmbeddingsCacheScorer('s', undefined, testHandle());
  const eps = [makeEndpoint(0), makeEndpoint(1), makeEndpoint(2)];
  const first = makeRequest({ promptText: IMAGE });
  p.produce(first, eps);
  assert.deepEqual(scores(s, first, eps), [0, 0, 0]);
  p.preRequest(first, scheduledOn(eps[1]!));
  const again = makeRequest({ promptText: IMAGE });
  p.produce(again, eps);
  assert.deepEqual(scores(s, again, eps), [0, 1, 0]);
});
